/** The README's supported-op table is generated from the registry and must be current (run `npm run docs`). */
import test from 'ava';
import * as fs from 'node:fs';
import { opTable } from '../scripts/op-table.js';
import { IMPORTED_AS, importedOps } from '../src/frontend/onnx/import-rules.js';
import { findOp } from '../src/ops/registry.js';
import { C_INT_LOWERINGS, C_LOWERINGS } from '../src/backends/c/lower/index.js';

test('README op table matches the registry', (t) => {
  t.true(fs.readFileSync('README.md', 'utf8').includes(opTable()), 'run `npm run docs` to regenerate the table');
});

test('every ONNX op the importer accepts has a registered IR op with a C kernel', (t) => {
  for (const op of importedOps()) {
    const as = IMPORTED_AS[op];
    const ir = as?.ir ?? op;
    t.truthy(findOp(ir), `${op}: no op definition`);
    t.truthy((as?.integer ? C_INT_LOWERINGS : C_LOWERINGS)[ir], `${op}: no C lowering`);
  }
});
