// PaddleOCR's text-direction preprocessing: scale the line to the model's height keeping its aspect ratio (at most
// the model's width), BGR, (v / 255 - 0.5) / 0.5, zero padding on the right. NCHW float32.

/** Class index to rotation in degrees (PP-OCR cls label list). */
export const ANGLES = [0, 180];

/** Draw `image` into `canvas` (the model's width x height) and return the model input for `shape` [1, 3, H, W]. */
export function prepareLine(image, canvas, shape) {
  const [, , H, W] = shape;
  const w = Math.min(W, Math.ceil((H * image.width) / image.height));
  const g = canvas.getContext('2d', { willReadFrequently: true });
  g.fillStyle = '#808080';
  g.fillRect(0, 0, W, H);
  g.drawImage(image, 0, 0, w, H);
  const rgba = g.getImageData(0, 0, W, H).data;
  const x = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let i = 0; i < w; i++) x[(c * H + y) * W + i] = (rgba[(y * W + i) * 4 + (2 - c)] / 255 - 0.5) / 0.5;
  return x;
}
