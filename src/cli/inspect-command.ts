/** `edgec inspect`: a model's inputs/outputs, ops, shapes, params and MACs per layer. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import type { onnx } from 'onnx-proto';
import '../ops/index.js';
import { decodeModel } from '../frontend/onnx/load.js';
import { loadModel } from '../frontend/index.js';
import { num } from '../frontend/onnx/proto.js';
import { runPipeline } from '../passes/pass.js';
import { CORE_PASSES } from '../passes/pipeline.js';
import { inferShapes } from '../passes/infer-shapes.js';
import { foldConstants } from '../passes/fold-constants.js';
import { eliminateDeadCode } from '../passes/eliminate-dead-code.js';
import { formatSummary } from '../inspect.js';
import { printGraph } from '../ir/printer.js';
import { EdgecError } from '../util/errors.js';
import { parseInputShapes } from './args.js';
import { formatQuantReport } from './quant-table.js';
import type { QuantReport } from '../quant/quantize.js';

/** I/O signature straight from the file, for models whose dims are not bound yet. */
function signature(file: string): string {
  if (!fs.existsSync(file)) throw new EdgecError(`${file}: no such file`);
  const m = decodeModel(fs.readFileSync(file), file);
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const dims = (vi: onnx.IValueInfoProto) =>
    (vi.type?.tensorType?.shape?.dim ?? []).map((d: onnx.TensorShapeProto.IDimension) => (d.dimValue && num(d.dimValue) > 0 ? num(d.dimValue) : d.dimParam || '?')).join('x');
  const ops = new Map<string, number>();
  for (const n of g.node ?? []) ops.set(n.opType ?? '', (ops.get(n.opType ?? '') ?? 0) + 1);
  return [
    `model ${g.name} (${file}), opset ${m.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${num(o.version)}`).join(', ')}`,
    `inputs:  ${(g.input ?? []).filter((i) => !inits.has(i.name)).map((i) => `${i.name}[${dims(i)}]`).join(', ')}`,
    `outputs: ${(g.output ?? []).map((o) => `${o.name}[${dims(o)}]`).join(', ')}`,
    `ops:     ${[...ops].sort((a, b) => b[1] - a[1]).map(([o, c]) => `${o}×${c}`).join(' ')}`,
  ].join('\n');
}

export const inspectCommand: CommandModule = {
  command: 'inspect <model>',
  describe: 'show inputs/outputs, ops, shapes, params and MACs per layer',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'the .onnx or .tflite file' })
      .option('input-shape', { type: 'string', array: true, describe: 'bind input dims: NAME=1x3x224x224' })
      .option('optimized', { type: 'boolean', default: false, describe: 'show the graph after all passes (fusion, folding) as it is compiled' })
      .option('ir', { type: 'boolean', default: false, describe: 'print the IR text instead of the layer table' })
      .option('quant', { type: 'boolean', default: false, describe: 'for an output folder of `build --quantize`: every quantized tensor, the ones losing most first' })
      .example('$0 inspect out/rec8 --quant', 'rank the layers an int8 build loses the most on'),
  handler: (argv) => {
    const file = argv.model as string;
    if (argv.quant) {
      process.stdout.write(`${quantTable(file)}\n`);
      return;
    }
    const shapes = parseInputShapes(argv['input-shape'] as string[] | undefined);
    let g;
    try {
      g = loadModel(file, { inputShapes: shapes });
    } catch (e) {
      if (e instanceof EdgecError && /symbolic dims/.test(e.message)) {
        process.stdout.write(`${signature(file)}\n\n(${e.message.replace(/^.*?: /, '')} to see shapes, params and MACs per layer)\n`);
        return;
      }
      throw e;
    }
    runPipeline(g, argv.optimized ? CORE_PASSES : [inferShapes, foldConstants, eliminateDeadCode]);
    process.stdout.write(`${argv.ir ? printGraph(g) : formatSummary(g)}\n`);
  },
};

/** The quantization table of a build folder's report.json. */
function quantTable(dir: string): string {
  const report = path.join(dir, 'report.json');
  if (!fs.existsSync(report)) throw new EdgecError(`inspect --quant: ${dir} has no report.json; give the -o folder of 'edgec build --quantize int8'`);
  const r = JSON.parse(fs.readFileSync(report, 'utf8')) as { quantization?: QuantReport };
  if (!r.quantization) throw new EdgecError(`inspect --quant: ${dir} was not built with --quantize`);
  return formatQuantReport(r.quantization, Infinity);
}
