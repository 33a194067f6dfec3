/** Sliding-window attributes shared by Conv, ConvTranspose and pooling: reading and checking kernel_shape, strides,
 * dilations, pads and auto_pad, and the ONNX output-size rule (explicit pads, SAME_UPPER/LOWER, VALID, ceil_mode). */
import type { Node } from '../ir/types.js';
import { attrInts, attrString } from '../ir/attrs.js';
import { nodeError } from './util.js';

/** The window attributes of a node, one entry per spatial dim (pads: begins then ends). */
export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
}

/** Output extent and padding of each spatial dim under a window. */
export interface WindowOutput {
  outSpatial: number[];
  padsBegin: number[];
  padsEnd: number[];
}

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Reads and checks a node's window attributes for `r` spatial dims; `kernel` is the default kernel_shape (the weight's
 * spatial dims for convolutions; pooling requires the attribute). */
export function readWindowAttrs(node: Node, r: number, kernelDefault?: number[]): WindowAttrs {
  const kernel = kernelDefault ? attrInts(node, 'kernel_shape', kernelDefault) : attrInts(node, 'kernel_shape');
  if (!kernel) nodeError(node, "attribute 'kernel_shape' is missing; add it to the node");
  const strides = attrInts(node, 'strides', new Array<number>(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(r).fill(1));
  const pads = attrInts(node, 'pads', new Array<number>(2 * r).fill(0));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const lens: [string, number[], number][] = [['kernel_shape', kernel, r], ['strides', strides, r], ['dilations', dilations, r], ['pads', pads, 2 * r]];
  for (const [name, v, want] of lens)
    if (v.length !== want) nodeError(node, `attribute '${name}' has ${v.length} values but the input has ${r} spatial dims; give ${want}`);
  if (!AUTO_PADS.includes(autoPad)) nodeError(node, `auto_pad '${autoPad}' is unknown; use one of ${AUTO_PADS.join(', ')}`);
  if ([...kernel, ...strides, ...dilations].some((v) => v < 1)) nodeError(node, 'kernel_shape, strides and dilations must all be >= 1');
  if (pads.some((p) => p < 0)) nodeError(node, `pads [${pads.join(', ')}] must not be negative`);
  return { kernel, strides, dilations, pads, autoPad };
}

/** Output size and resolved pads per spatial dim (ONNX rules; `ceil` is pooling's ceil_mode, which drops a last window
 * that would start inside the end padding). `what` names the window in the error ("kernel" or "window"). */
export function windowOutput(node: Node, inSpatial: readonly number[], a: WindowAttrs, ceil = false, what = 'window'): WindowOutput {
  const r = inSpatial.length;
  const out: WindowOutput = { outSpatial: [], padsBegin: [], padsEnd: [] };
  for (let i = 0; i < r; i++) {
    const n = inSpatial[i];
    const s = a.strides[i];
    const ext = (a.kernel[i] - 1) * a.dilations[i] + 1;
    let o: number;
    let pb = 0;
    let pe = 0;
    if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
      o = Math.ceil(n / s);
      const total = Math.max(0, (o - 1) * s + ext - n);
      pb = a.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else {
      if (a.autoPad === 'NOTSET') {
        pb = a.pads[i];
        pe = a.pads[i + r];
      }
      const span = n + pb + pe - ext;
      if (span < 0) nodeError(node, `${what} extent ${ext} is larger than padded dim ${i + 2} (${n + pb + pe}); check kernel_shape, dilations and pads`);
      o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      if (ceil && (o - 1) * s >= n + pb) o--;
    }
    out.outSpatial.push(o);
    out.padsBegin.push(pb);
    out.padsEnd.push(pe);
  }
  return out;
}
