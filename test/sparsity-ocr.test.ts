/** 2:4 on the real PP-OCRv4 recognizer and detector (reduced input sizes to keep the test short): SparseGPT keeps the
 * output SQNR against the dense model well above magnitude pruning, on an input not used for calibration. */
import test from 'ava';
import * as fs from 'node:fs';
import type { Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { sqnrDb } from '../src/quant/params.js';
import { sparsifyGraph, sparsityCalibration } from '../src/sparse/prune.js';
import type { PruneMethod } from '../src/sparse/sparsegpt.js';
import { REAL_MODELS } from './helpers/models.js';
import { detInput, haveOcrLines, recInput } from './helpers/ocr-inputs.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';

const jobs = limit(2);

/** The top-left S x S corner of a det page (three text lines and margin). */
function detCrop(first: number, S: number): Value {
  const full = detInput(first);
  const data = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) data[(c * S + y) * S + x] = (full.data as Float32Array)[(c * 320 + y) * 320 + x];
  return { dtype: 'float32', shape: [1, 3, S, S], data };
}

const CASES = [
  { name: 'ppocr-rec', shape: [1, 3, 48, 160], calib: () => recInput(0, 160), eval: () => recInput(40, 160) },
  { name: 'ppocr-det', shape: [1, 3, 160, 160], calib: () => detCrop(0, 160), eval: () => detCrop(30, 160) },
];

for (const c of CASES) {
  const m = REAL_MODELS.find((r) => r.name === c.name)!;
  const missing = !fs.existsSync(m.file) ? m.file : !haveOcrLines() ? '../shared/data/ocr_lines' : undefined;
  (missing ? test.skip : test)(`${c.name} at 2:4: SparseGPT keeps the output SQNR above magnitude pruning${missing ? ` (skipped: needs ${missing})` : ''}`, async (t) => {
    const { graph } = compileGraph(m.file, getTarget('c'), { inputShapes: { [m.input]: c.shape } });
    const stats = sparsityCalibration(graph, [{ [m.input]: c.calib() }]);
    const x = c.eval();
    const out = async (g: typeof graph) => (await jobs(() => runC(g, { [m.input]: x })))[g.outputs[0]];
    const dense = await out(graph);
    const db: Partial<Record<PruneMethod, number>> = {};
    for (const method of ['magnitude', 'sparsegpt'] as PruneMethod[]) {
      const g = cloneGraph(graph);
      const rep = sparsifyGraph(g, undefined, { n: 2, m: 4, method, calibration: stats });
      t.true(rep.layers.filter((l) => l.sparsity === '2:4').length >= 20, method);
      db[method] = sqnrDb(dense.data as Float32Array, (await out(g)).data as Float32Array);
    }
    t.log(`output SQNR vs dense: magnitude ${db.magnitude!.toFixed(2)} dB, SparseGPT ${db.sparsegpt!.toFixed(2)} dB`);
    t.true(db.sparsegpt! > db.magnitude! + 3);
  });
}
