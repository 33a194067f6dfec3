/**
 * Dataflow channels of the HLS design, one per buffer: a FIFO (io_stream style) when its producer writes and its
 * consumer reads in flat order and the consumer reads no other channel (no deadlock where branches rejoin), else a ping-pong array (io_parallel style) in LUTRAM or BRAM18, moved to URAM or
 * single-buffered when BRAM runs short. Adds the buffer costs to the producing layers' estimates.
 */
import type { FpgaResources } from '../../targets/targets.js';
import type { HlsLayerPlan } from './layers.js';
import { bufferCost, uramOf, type LayerEstimate } from './estimate.js';

/** A fabric layer: a node (or a fan-out clone) with its function name and the buffers it reads and writes. */
export interface FabricLayer {
  id: string;
  node?: { name: string; op: string };
  plan: HlsLayerPlan;
  ins: string[];
  outs: string[];
}

/** A dataflow buffer: C++ element type and element count. */
export interface FabricBuffer {
  ctype: string;
  n: number;
}

/** How a buffer is implemented. */
export type ChannelKind = 'fifo' | 'pipo' | 'pipo-uram' | 'shared';

/** The pragma lines declaring a channel of each kind in the dataflow top. */
export const CHANNEL_PRAGMAS: Record<ChannelKind, (b: string) => string[]> = {
  fifo: (b) => [`#pragma HLS STREAM variable = ${b} type = fifo depth = 2`],
  pipo: () => [],
  'pipo-uram': (b) => [`#pragma HLS BIND_STORAGE variable = ${b} type = ram_2p impl = uram`],
  shared: (b) => [`#pragma HLS STREAM variable = ${b} type = shared`],
};

const bitsOf = (b: FabricBuffer) => b.n * (b.ctype === 'float' ? 32 : 8);

/**
 * Choose every buffer's channel and charge it to its producer's estimate (`est[i]` belongs to `layers[i]`); `topIn`
 * buffers are written and `topOut` buffers read in order by the stream ports. Returns the kinds and the frame interval
 * single-buffered channels force.
 */
export function placeChannels(layers: FabricLayer[], est: LayerEstimate[], buffers: Map<string, FabricBuffer>, dev: FpgaResources, topIn: string[], topOut: string[]): { kinds: Map<string, ChannelKind>; interval: number } {
  const writesInOrder = new Map<string, boolean>(topIn.map((b) => [b, true]));
  const readsInOrder = new Map<string, boolean>(topOut.map((b) => [b, true]));
  const consumer = new Map<string, number>();
  layers.forEach((l, li) => {
    for (const b of l.outs) writesInOrder.set(b, l.plan.order?.writes ?? false);
    l.ins.forEach((b, i) => {
      readsInOrder.set(b, l.plan.order?.reads(i) ?? false);
      consumer.set(b, li);
    });
  });
  // A layer reading two channels joins branches of some fan-out: a bounded FIFO into it could fill while it waits for
  // the other branch (whose producer waits for the fan-out to finish), so its inputs stay full-frame arrays.
  const risky = new Set(layers.filter((l) => l.ins.length > 1).flatMap((l) => l.ins));
  const kinds = new Map<string, ChannelKind>();
  const arrays: { b: string; li: number; bram: number }[] = [];
  layers.forEach((l, li) => {
    const kindsHere: string[] = [];
    for (const b of l.outs) {
      if (writesInOrder.get(b) && readsInOrder.get(b) && !risky.has(b)) {
        kinds.set(b, 'fifo');
        est[li].lut += 20;
      } else {
        kinds.set(b, 'pipo');
        const c = bufferCost(buffers.get(b)!.n, buffers.get(b)!.ctype === 'float' ? 32 : 8);
        est[li].bram18_buffers += c.bram18;
        est[li].lut += c.lut;
        if (c.bram18) arrays.push({ b, li, bram: c.bram18 });
      }
      kindsHere.push(kinds.get(b)!);
    }
    est[li].channel = kindsHere.join('+');
  });
  // BRAM over budget: the largest arrays move to URAM (BIND_STORAGE impl=uram) while URAM lasts, then lose their
  // ping-pong half (STREAM type=shared: producer and consumer take turns, so the frame interval covers both).
  let bram = est.reduce((s, e) => s + e.bram18_weights + e.bram18_buffers, 0);
  let uram = 0;
  arrays.sort((a, b) => b.bram - a.bram);
  for (const a of arrays) {
    if (bram <= dev.bram18) break;
    const u = uramOf(bitsOf(buffers.get(a.b)!));
    if (uram + u > dev.uram) continue;
    bram -= a.bram;
    uram += u;
    est[a.li].bram18_buffers -= a.bram;
    est[a.li].uram_buffers += u;
    kinds.set(a.b, 'pipo-uram');
  }
  let interval = 0;
  for (const a of arrays) {
    if (bram <= dev.bram18) break;
    if (kinds.get(a.b) !== 'pipo') continue;
    const half = Math.floor(a.bram / 2);
    est[a.li].bram18_buffers -= half;
    bram -= half;
    kinds.set(a.b, 'shared');
    const c = consumer.get(a.b);
    interval = Math.max(interval, est[a.li].latency_cycles + (c === undefined ? 0 : est[c].latency_cycles));
  }
  layers.forEach((l, li) => (est[li].channel = l.outs.map((b) => kinds.get(b)!).join('+')));
  return { kinds, interval };
}
