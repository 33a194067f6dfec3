/** Small ops: Cast between element types, and broadcasting Where. */
import type { DType, Node, Value } from '../ir/types.js';
import { attrString } from '../ir/attrs.js';
import { allocData, castScalar, DTYPES, numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { broadcastShapes, forEachBroadcast, nodeError, requireInput } from './util.js';

/** The target dtype of a Cast node (the importer stores `to` as an IR dtype name). */
export function castTarget(node: Node): DType {
  const to = attrString(node, 'to');
  if (!to || !(to in DTYPES)) nodeError(node, `attribute 'to' must name an element type (${Object.keys(DTYPES).join(', ')}), got '${to ?? ''}'`);
  return to as DType;
}

const cast: OpDef = {
  op: 'Cast',
  summary: 'element type conversion (float to int truncates toward zero; to bool is x != 0)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    return [{ dtype: castTarget(node), shape: [...x.shape] }];
  },
  reference(node, [x]) {
    const v = x as Value;
    const to = castTarget(node);
    const data = allocData(to, v.data.length);
    // + 0 turns an int64 -0 (from truncating -0.x) into 0.
    for (let i = 0; i < v.data.length; i++) data[i] = to === 'int64' ? castScalar(v.data[i], to) + 0 : castScalar(v.data[i], to);
    return [{ dtype: to, shape: [...v.shape], data }];
  },
};

const where: OpDef = {
  op: 'Where',
  summary: 'broadcasting select: condition ? X : Y',
  infer({ node, inputs }) {
    const c = requireInput(node, inputs, 0);
    const a = requireInput(node, inputs, 1);
    const b = requireInput(node, inputs, 2);
    if (c.dtype !== 'bool') nodeError(node, `condition must be bool, not ${c.dtype}; insert a Cast to bool`);
    if (a.dtype !== b.dtype) nodeError(node, `X and Y types ${a.dtype} and ${b.dtype} differ; insert a Cast so both match`);
    return [{ dtype: a.dtype, shape: broadcastShapes(node, [c.shape, a.shape, b.shape]) }];
  },
  reference(node, [c, a, b]) {
    const [cv, av, bv] = [c, a, b] as Value[];
    const shape = broadcastShapes(node, [cv.shape, av.shape, bv.shape]);
    const out: Value = { dtype: av.dtype, shape, data: allocData(av.dtype, numel(shape)) };
    forEachBroadcast(shape, [cv.shape, av.shape, bv.shape], (o, [i, j, k]) => {
      out.data[o] = cv.data[i] ? av.data[j] : bv.data[k];
    });
    return [out];
  },
};

/** Registry entries of Cast and Where. */
export const miscOps: OpDef[] = [cast, where];
