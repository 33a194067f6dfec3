/** Registers every op family; import this once before using the registry. */
import { registerOps } from './registry.js';
import { elementwiseOps } from './elementwise.js';
import { reduceOps } from './reduce.js';
import { softmaxOps } from './softmax.js';
import { miscOps } from './misc.js';
import { poolOps } from './pool.js';
import { normOps } from './norm.js';
import { shapeOps } from './shape.js';
import { layoutOps } from './layout.js';
import { resizeOps } from './resize.js';
import { convOps } from './conv.js';
import { linalgOps } from './linalg.js';
import { quantOps } from './quant.js';
import { qdqOps } from './qdq.js';
import { matmulW4Ops } from './matmul-w4.js';

let done = false;

/** Fill the op registry (idempotent). */
export function registerAllOps(): void {
  if (done) return;
  done = true;
  registerOps(elementwiseOps);
  registerOps(reduceOps);
  registerOps(softmaxOps);
  registerOps(miscOps);
  registerOps(poolOps);
  registerOps(normOps);
  registerOps(shapeOps);
  registerOps(layoutOps);
  registerOps(resizeOps);
  registerOps(convOps);
  registerOps(quantOps);
  registerOps(qdqOps);
  registerOps(linalgOps);
  registerOps(matmulW4Ops);
}

registerAllOps();
