// The page's logic: load the edgec-compiled classifier, prepare a text-line image the way PaddleOCR does, show the
// predicted direction. ?image=<url> classifies that image instead of the sample line.
import { load } from './model/model.js';
import { prepareLine, ANGLES } from './preprocess.js';

const canvas = document.getElementById('input');
const result = document.getElementById('result');
const timing = document.getElementById('timing');
let current = null;

/** A sample line drawn on a canvas (so the page works without any image file). */
function sampleLine() {
  const c = document.createElement('canvas');
  c.width = 320;
  c.height = 48;
  const g = c.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#000';
  g.font = '28px serif';
  g.textBaseline = 'middle';
  g.fillText('Compiled for the web', 8, 25);
  return c;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load image ${url}`));
    img.src = url;
  });
}

/** The image turned upside down. */
function rotated(src) {
  const c = document.createElement('canvas');
  c.width = src.width;
  c.height = src.height;
  const g = c.getContext('2d');
  g.translate(c.width, c.height);
  g.rotate(Math.PI);
  g.drawImage(src, 0, 0);
  return c;
}

const model = await load();
const [input] = model.inputs;

function classify(image) {
  current = image;
  const x = prepareLine(image, canvas, input.shape);
  const t0 = performance.now();
  const probs = model.run(x);
  const ms = performance.now() - t0;
  const best = probs[1] > probs[0] ? 1 : 0;
  result.textContent = `${ANGLES[best]}° (p = ${probs[best].toFixed(3)})`;
  result.dataset.angle = String(ANGLES[best]);
  result.dataset.state = 'done';
  timing.textContent = `inference ${ms.toFixed(2)} ms`;
}

document.getElementById('file').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  if (f) classify(await loadImage(URL.createObjectURL(f)));
});
document.getElementById('rotate').addEventListener('click', () => current && classify(rotated(current)));

try {
  const url = new URLSearchParams(location.search).get('image');
  classify(url ? await loadImage(url) : sampleLine());
} catch (e) {
  result.textContent = e.message;
  result.dataset.state = 'error';
}
