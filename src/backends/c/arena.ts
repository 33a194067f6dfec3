/** Arena planning: place buffers with known lifetimes in one block, reusing memory (greedy by size, like TFLM). */

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
  /** Sum over steps of live bytes, maximised: the lower bound any planner must meet. */
  liveLowerBound: number;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Greedy-by-size placement: largest buffers first, each at the lowest offset free during its lifetime. */
export function planArena(reqs: readonly BufferRequest[]): ArenaPlan {
  const order = [...reqs].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const placed: { first: number; last: number; start: number; end: number }[] = [];
  const offsets = new Map<string, number>();
  let total = 0;
  for (const r of order) {
    const size = align(Math.max(r.bytes, 1));
    const clash = placed
      .filter((p) => p.first <= r.last && r.first <= p.last)
      .sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of clash) {
      if (at + size <= p.start) break;
      at = Math.max(at, p.end);
    }
    placed.push({ first: r.first, last: r.last, start: at, end: at + size });
    offsets.set(r.id, at);
    total = Math.max(total, at + size);
  }
  let liveLowerBound = 0;
  const steps = new Set(reqs.flatMap((r) => [r.first, r.last]));
  for (const s of steps) {
    const live = reqs.filter((r) => r.first <= s && s <= r.last).reduce((acc, r) => acc + align(Math.max(r.bytes, 1)), 0);
    liveLowerBound = Math.max(liveLowerBound, live);
  }
  return { offsets, bytes: total, liveLowerBound };
}
