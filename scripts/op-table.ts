/** Regenerates the README's supported-op table from the op registry and the ONNX import table (`npm run docs`). */
import * as fs from 'node:fs';
import '../src/ops/index.js';
import { allOps, type OpDef } from '../src/ops/registry.js';
import { IMPORTED_AS, importedOps } from '../src/frontend/onnx/import-rules.js';
import { C_INT_LOWERINGS, C_LOWERINGS } from '../src/backends/c/lower/index.js';

const BEGIN = '<!-- op-table:begin -->';
const END = '<!-- op-table:end -->';

/** The int8 column: 'yes' when the op has an integer reference or the quantizer tabulates it ('lut'). */
function int8Cell(def: OpDef | undefined): string {
  return def && (def.intReference || def.quant === 'lut') ? 'yes' : 'no';
}

/** The markdown table: one row per ONNX op edgec imports. */
export function opTable(): string {
  const ir = new Map(allOps().map((d) => [d.op, d]));
  const rows = importedOps().sort().map((onnxOp) => {
    const as = IMPORTED_AS[onnxOp];
    const irOp = as?.ir ?? onnxOp;
    const def = ir.get(irOp);
    const kernel = irOp in (as?.integer ? C_INT_LOWERINGS : C_LOWERINGS);
    const notes = as && as.ir !== onnxOp ? `imported as ${as.integer ? 'integer ' : ''}${as.ir}: ${def?.summary ?? ''}` : def?.summary ?? '';
    return `| ${onnxOp} | ${def ? 'yes' : 'no'} | ${kernel ? 'yes' : 'no'} | ${as?.integer ? 'yes' : int8Cell(def)} | ${notes} |`;
  });
  return [BEGIN, '| ONNX op | reference | C kernel | int8 | notes |', '|---|---|---|---|---|', ...rows, END].join('\n');
}

if (process.argv[1] && process.argv[1].endsWith('op-table.ts')) {
  const readme = fs.readFileSync('README.md', 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error('README.md lacks the op-table markers');
  fs.writeFileSync('README.md', readme.slice(0, start) + opTable() + readme.slice(end + END.length));
  process.stdout.write('README.md op table updated\n');
}
