/** Arena planning: a planner interface, a table of greedy placement strategies, and the live-bytes lower bound they aim for. */

/** A buffer to place: bytes needed, first and last step (inclusive) at which it is live. */
export interface BufferRequest {
  id: string;
  bytes: number;
  first: number;
  last: number;
}

/** Placement result: offset per buffer id and the arena's total size. */
export interface ArenaPlan {
  offsets: Map<string, number>;
  bytes: number;
  /** Max over steps of the bytes live at that step: no placement can use less. */
  liveLowerBound: number;
  /** The strategy whose placement was kept. */
  planner: string;
}

/** One placement strategy: offsets (multiples of ARENA_ALIGN) such that buffers live at the same step never overlap. */
export interface MemoryPlanner {
  name: string;
  summary: string;
  place(reqs: readonly BufferRequest[]): Map<string, number>;
}

/** Every buffer starts on this many bytes (the widest vector load the kernels issue). */
export const ARENA_ALIGN = 64;

/** Bytes a buffer occupies in the arena (at least one aligned block). */
export const alignedBytes = (n: number): number => Math.ceil(Math.max(n, 1) / ARENA_ALIGN) * ARENA_ALIGN;

const overlaps = (a: BufferRequest, b: BufferRequest) => a.first <= b.last && b.first <= a.last;

/**
 * Place buffers one at a time in `order`; each goes into a gap between the already placed buffers whose lifetimes
 * overlap its own: the lowest such gap ('first' fit) or the smallest one it fits ('best' fit, ties to the lowest).
 */
export function placeInOrder(order: readonly BufferRequest[], fit: 'first' | 'best'): Map<string, number> {
  const placed: { r: BufferRequest; start: number; end: number }[] = [];
  const offsets = new Map<string, number>();
  for (const r of order) {
    const size = alignedBytes(r.bytes);
    const clash = placed.filter((p) => overlaps(p.r, r)).sort((a, b) => a.start - b.start);
    let at = 0;
    let best: { at: number; gap: number } | undefined;
    for (const p of clash) {
      if (p.start >= at + size) {
        const gap = p.start - at;
        if (fit === 'first') break;
        if (!best || gap < best.gap) best = { at, gap };
      }
      at = Math.max(at, p.end);
    }
    const start = fit === 'best' && best ? best.at : at;
    placed.push({ r, start, end: start + size });
    offsets.set(r.id, start);
  }
  return offsets;
}

/** Bytes live at each step that starts a buffer (the live set only grows there), maximised. */
export function liveLowerBound(reqs: readonly BufferRequest[]): number {
  let bound = 0;
  for (const s of new Set(reqs.map((r) => r.first))) {
    let live = 0;
    for (const r of reqs) if (r.first <= s && s <= r.last) live += alignedBytes(r.bytes);
    bound = Math.max(bound, live);
  }
  return bound;
}

/** Largest bytes live at any step of a buffer's lifetime: buffers on the peak are placed first. */
function pressure(reqs: readonly BufferRequest[]): Map<string, number> {
  const steps = [...new Set(reqs.flatMap((r) => [r.first, r.last]))];
  const live = new Map(steps.map((s) => [s, reqs.reduce((n, r) => (r.first <= s && s <= r.last ? n + alignedBytes(r.bytes) : n), 0)]));
  return new Map(reqs.map((r) => [r.id, Math.max(...steps.filter((s) => r.first <= s && s <= r.last).map((s) => live.get(s)!))]));
}

const bySize = (a: BufferRequest, b: BufferRequest) => b.bytes - a.bytes || a.first - b.first || (a.id < b.id ? -1 : 1);

/** The placement strategies planArena tries, in order of preference. */
export const MEMORY_PLANNERS: readonly MemoryPlanner[] = [
  {
    name: 'greedy-size',
    summary: 'largest first, each at the lowest offset free during its lifetime (TFLM)',
    place: (reqs) => placeInOrder([...reqs].sort(bySize), 'first'),
  },
  {
    name: 'greedy-size-best-fit',
    summary: 'largest first, each into the smallest free gap it fits',
    place: (reqs) => placeInOrder([...reqs].sort(bySize), 'best'),
  },
  {
    name: 'greedy-pressure',
    summary: 'buffers live at the most crowded steps first, then largest first, lowest free offset',
    place: (reqs) => {
      const p = pressure(reqs);
      return placeInOrder([...reqs].sort((a, b) => p.get(b.id)! - p.get(a.id)! || bySize(a, b)), 'first');
    },
  },
  {
    name: 'greedy-lifetime',
    summary: 'longest-lived first, then largest first, lowest free offset',
    place: (reqs) => placeInOrder([...reqs].sort((a, b) => b.last - b.first - (a.last - a.first) || bySize(a, b)), 'first'),
  },
];

/** Arena size of a placement. */
export function arenaSize(reqs: readonly BufferRequest[], offsets: Map<string, number>): number {
  return reqs.reduce((n, r) => Math.max(n, offsets.get(r.id)! + alignedBytes(r.bytes)), 0);
}

/** Check a placement: aligned offsets, and no two buffers live at the same step share a byte. Throws on a clash. */
export function checkPlacement(reqs: readonly BufferRequest[], offsets: Map<string, number>): void {
  for (const r of reqs) if (offsets.get(r.id)! % ARENA_ALIGN) throw new Error(`internal: buffer ${r.id} is misaligned`);
  for (let i = 0; i < reqs.length; i++)
    for (let j = i + 1; j < reqs.length; j++) {
      const [a, b] = [reqs[i], reqs[j]];
      const [oa, ob] = [offsets.get(a.id)!, offsets.get(b.id)!];
      if (overlaps(a, b) && oa < ob + alignedBytes(b.bytes) && ob < oa + alignedBytes(a.bytes)) throw new Error(`internal: arena buffers ${a.id} and ${b.id} overlap`);
    }
}

/**
 * Plan the arena with every strategy and keep the smallest placement (the first strategy on ties). When none reaches
 * the live lower bound, seeded perturbations of the best strategy's order are tried for a bounded number of rounds.
 */
export function planArena(reqs: readonly BufferRequest[], planners: readonly MemoryPlanner[] = MEMORY_PLANNERS): ArenaPlan {
  const bound = liveLowerBound(reqs);
  let best: ArenaPlan | undefined;
  for (const p of planners) {
    const offsets = p.place(reqs);
    const bytes = arenaSize(reqs, offsets);
    if (!best || bytes < best.bytes) best = { offsets, bytes, liveLowerBound: bound, planner: p.name };
    if (bytes === bound) break;
  }
  if (!best) return { offsets: new Map(), bytes: 0, liveLowerBound: bound, planner: 'none' };
  if (best.bytes > bound) best = perturb(reqs, best, bound);
  checkPlacement(reqs, best.offsets);
  return best;
}

/** Local search: swap pairs in the size order (seeded), keep a placement whenever it is smaller; stops at the bound. */
function perturb(reqs: readonly BufferRequest[], start: ArenaPlan, bound: number): ArenaPlan {
  let best = start;
  const order = [...reqs].sort(bySize);
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const rounds = Math.min(4000, Math.max(200, 200000 / Math.max(1, reqs.length)));
  for (let k = 0; k < rounds && best.bytes > bound; k++) {
    const cand = [...order];
    const i = rand(cand.length);
    const j = Math.min(cand.length - 1, i + 1 + rand(4));
    [cand[i], cand[j]] = [cand[j], cand[i]];
    for (const fit of ['first', 'best'] as const) {
      const offsets = placeInOrder(cand, fit);
      const bytes = arenaSize(reqs, offsets);
      if (bytes <= best.bytes) {
        if (bytes < best.bytes) best = { offsets, bytes, liveLowerBound: bound, planner: `${start.planner}+search` };
        order.splice(0, order.length, ...cand);
      }
    }
  }
  return best;
}
