/** CUDA lowerings of the generic fallbacks: Reduce* over any axes, variadic Sum/Max/Min/Mean as chained binary
 * launches, ConstantOfShape as a fill. */
import { numel, stridesOf, DTYPES } from '../../../ir/dtype.js';
import { attrTensor } from '../../../ir/attrs.js';
import { nodeError } from '../../../ops/util.js';
import { REDUCE_KINDS, reducePlan, type ReduceKind } from '../../../ops/reduce.js';
import { cScalar } from '../../c/lower/layout.js';
import { gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering } from '../lowering.js';
import { elementwiseCudaLowerings } from './elementwise.js';

/** init, map(v), combine(a, b), finish(acc, n) of each reduction as device expressions. */
const REDUCE_CUDA: Record<ReduceKind, [string, string, string, string]> = {
  ReduceSum: ['0.0f', 'v', 'a + b', 'acc'],
  ReduceMean: ['0.0f', 'v', 'a + b', 'acc / n'],
  ReduceMax: ['-INFINITY', 'v', '(b > a || b != b) ? b : a', 'acc'],
  ReduceMin: ['INFINITY', 'v', '(b < a || b != b) ? b : a', 'acc'],
  ReduceProd: ['1.0f', 'v', 'a * b', 'acc'],
  ReduceL2: ['0.0f', 'v * v', 'a + b', 'sqrtf(acc)'],
  ReduceLogSumExp: ['0.0f', 'expf(v)', 'a + b', 'logf(acc)'],
  ReduceSumSquare: ['0.0f', 'v * v', 'a + b', 'acc'],
};

function reduceLowering(kind: ReduceKind): CudaLowering {
  return {
    lower(ctx) {
      const x = ctx.input(0);
      if (!x || x.info.dtype !== 'float32') nodeError(ctx.node, `CUDA ${kind} takes float32`);
      const y = ctx.output(0);
      const shape = x.info.shape;
      const plan = reducePlan(ctx.node, shape);
      const st = stridesOf(shape);
      const axes = plan.noop ? [] : plan.axes;
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const od = kept.map((i) => shape[i]);
      const rd = axes.map((i) => shape[i]);
      const arr = (v: number[], f: number) => `{${(v.length ? v : [f]).join(', ')}}`;
      const [init, map, combine, finish] = REDUCE_CUDA[kind];
      ctx.useKernel('reduce.cuh');
      const f = ctx.functor([
        `__device__ float init() const { return ${init}; }`,
        `  __device__ float map(float v) const { return ${map}; }`,
        `  __device__ float combine(float a, float b) const { return ${combine}; }`,
        `  __device__ float finish(float acc, float n) const { (void)n; return ${finish}; }`,
      ].join('\n'));
      const ro = Math.max(1, od.length);
      const rr = Math.max(1, rd.length);
      const desc = `edgec::ReduceDesc<${ro}, ${rr}>{${arr(od, 1)}, ${arr(kept.map((i) => st[i]), 0)}, ${arr(rd, 1)}, ${arr(axes.map((i) => st[i]), 0)}}`;
      const nout = numel(y.info.shape);
      ctx.launch(`edgec::reduce<${f}, ${ro}, ${rr}>`, gridFor(nout), String(ELEMENT_THREADS), [x.ptr, y.ptr, desc, String(nout), String(numel(rd))]);
    },
  };
}

/** Sum/Max/Min/Mean of n inputs: y = in0 op in1, then y = y op in_k; Mean scales by 1/n at the end. */
function variadic(op: 'Sum' | 'Max' | 'Min' | 'Mean'): CudaLowering {
  const binary = elementwiseCudaLowerings[op === 'Sum' || op === 'Mean' ? 'Add' : op];
  return {
    lower(ctx) {
      const n = ctx.node.inputs.length;
      const y = ctx.output(0);
      if (n === 1) {
        ctx.line(`EDGEC_CUDA_TRY(cudaMemcpyAsync(${y.ptr}, ${ctx.input(0)!.ptr}, ${numel(y.info.shape) * DTYPES[y.info.dtype].bytes}, cudaMemcpyDeviceToDevice, s));`);
      }
      for (let k = 1; k < n; k++) {
        const a = k === 1 ? ctx.input(0)! : { ...y, ptr: y.ptr.replace(/^\(\(float \*\)/, '((const float *)') };
        const b = ctx.input(k)!;
        binary.lower({ ...ctx, input: (i) => (i === 0 ? a : b), node: { ...ctx.node, op: 'Add', inputs: [a.name, b.name] } });
      }
      if (op === 'Mean') {
        const count = numel(y.info.shape);
        const f = ctx.functor(`__device__ float operator()(float x) const { return x / ${n}.0f; }`);
        ctx.launch(`edgec::unary<${f}, float, float>`, gridFor(count), String(ELEMENT_THREADS), [y.ptr, y.ptr, String(count)]);
      }
    },
  };
}

/** Reductions and fills → CUDA lowering. */
export const reduceCudaLowerings: Record<string, CudaLowering> = {
  ...Object.fromEntries(REDUCE_KINDS.map((k) => [k, reduceLowering(k)])),
  Sum: variadic('Sum'),
  Max: variadic('Max'),
  Min: variadic('Min'),
  Mean: variadic('Mean'),
  ConstantOfShape: {
    lower(ctx) {
      const y = ctx.output(0);
      const n = numel(y.info.shape);
      const t = attrTensor(ctx.node, 'value');
      const cType = DTYPES[y.info.dtype].cType;
      ctx.useKernel('reduce.cuh');
      ctx.launch(`edgec::fill<${cType}>`, gridFor(n), String(ELEMENT_THREADS), [y.ptr, String(n), `(${cType})${cScalar(y.info.dtype, t ? t.data[0] : 0)}`]);
    },
  },
};
