/** Registers every op family; import this once before using the registry. */
import { registerOps } from './registry.js';
import { elementwiseOps } from './elementwise.js';

let done = false;

/** Fill the op registry (idempotent). */
export function registerAllOps(): void {
  if (done) return;
  done = true;
  registerOps(elementwiseOps);
}

registerAllOps();
