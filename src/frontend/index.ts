/** Frontends by file extension: the one place that picks how a model file is imported. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../ir/types.js';
import { EdgecError } from '../util/errors.js';
import { loadOnnx, type LoadOptions } from './onnx/load.js';
import { loadTflite } from './tflite/load.js';

/** A model importer. */
export type Frontend = (file: string, opts: LoadOptions) => Graph;

/** Importers by lower-case file extension. */
export const FRONTENDS: Record<string, Frontend> = {
  '.onnx': loadOnnx,
  '.tflite': (file, opts) => {
    if (opts.constInputs && Object.keys(opts.constInputs).length) throw new EdgecError(`${file}: --freeze-input applies to ONNX models; TFLite shapes are static`);
    return loadTflite(file, { inputShapes: opts.inputShapes });
  },
};

/** The frontend of a file: by extension; any other name is ONNX unless the file carries TFLite's 'TFL3' identifier. */
export function frontendOf(file: string): Frontend {
  const fe = FRONTENDS[path.extname(file).toLowerCase()];
  if (fe) return fe;
  return hasTfliteIdentifier(file) ? FRONTENDS['.tflite'] : FRONTENDS['.onnx'];
}

/** Import a model with the frontend its name (or content) calls for. */
export function loadModel(file: string, opts: LoadOptions = {}): Graph {
  return frontendOf(file)(file, opts);
}

function hasTfliteIdentifier(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    fs.closeSync(fd);
    return head.subarray(4, 8).toString('latin1') === 'TFL3';
  } catch {
    return false;
  }
}
