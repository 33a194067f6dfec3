/** User-facing errors: one line saying what is wrong, where, and what to do. */

/** An error meant for the person running edgec; printed without a stack trace. */
export class EdgecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EdgecError';
  }
}

/** Throw an EdgecError unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new EdgecError(typeof message === 'string' ? message : message());
}
