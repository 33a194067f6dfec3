/** Shape inference: gives every tensor a dtype and static shape, propagating small known values (shape arithmetic). */
import { evalNode } from '../interp/reference.js';
import type { Graph, TensorInfo, Value } from '../ir/types.js';
import { numel } from '../ir/dtype.js';
import { getOp } from '../ops/registry.js';
import { EdgecError } from '../util/errors.js';
import type { Pass } from './pass.js';

/** Values up to this many elements are computed during inference so data-dependent shapes resolve. */
const PROPAGATE_LIMIT = 4096;

export const inferShapes: Pass = {
  name: 'infer-shapes',
  summary: 'give every tensor a dtype and a static shape',
  run(g: Graph) {
    const known = new Map<string, Value>();
    for (const [name, t] of g.tensors) if (t.data) known.set(name, { dtype: t.dtype, shape: t.shape, data: t.data });
    for (const n of g.nodes) {
      const def = getOp(n.op);
      const inputs = n.inputs.map((i) => (i ? g.tensors.get(i) : undefined));
      inputs.forEach((t, k) => {
        if (n.inputs[k] && !t) throw new Error(`internal: '${n.inputs[k]}' has no type at node '${n.name}'`);
      });
      const consts = n.inputs.map((i) => (i ? known.get(i) : undefined));
      let outs: TensorInfo[];
      try {
        outs = def.infer({ node: n, inputs, consts });
      } catch (e) {
        if (e instanceof EdgecError) throw new EdgecError(`${g.source}: ${e.message}`);
        throw e;
      }
      n.outputs.forEach((o, k) => {
        if (!o) return;
        const prev = g.tensors.get(o);
        g.tensors.set(o, { ...prev, name: o, dtype: outs[k].dtype, shape: outs[k].shape, data: prev?.data });
      });
      const allKnown = n.inputs.every((i, k) => !i || consts[k]);
      if (n.op === 'Shape' && inputs[0]) {
        const vals = def.reference(n, [{ ...inputs[0], data: new Float32Array(0) } as Value]);
        known.set(n.outputs[0], vals[0]);
      } else if (allKnown && n.outputs.every((o, k) => !o || numel(outs[k].shape) <= PROPAGATE_LIMIT)) {
        const vals = evalNode(g, n, consts);
        n.outputs.forEach((o, k) => o && known.set(o, vals[k]));
      }
    }
  },
};
