/** TFLM's person_detection test images as model inputs. */
import * as path from 'node:path';
import type { Value } from '../../src/ir/types.js';
import { readBmpGray } from './bmp.js';
import { TFLM_DIR } from './tflm-cases.js';

/** The person_detection folder of the shared TFLite Micro data. */
export const PERSON_DIR = path.join(TFLM_DIR, 'person_detection');

/**
 * The model input of a TFLM test image. The BMPs hold int8 codes as bytes (the photo is each byte XOR 0x80, which is
 * what the image shows once flipped); TFLM feeds pixel - 128, i.e. the byte read as int8.
 */
export function personInput(file: string): Value {
  const img = readBmpGray(path.join(PERSON_DIR, file));
  const photo = img.pixels.map((b) => b ^ 0x80);
  return { dtype: 'int8', shape: [1, img.height, img.width, 1], data: Int8Array.from(photo, (p) => p - 128) };
}
