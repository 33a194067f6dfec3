/** Headless Chromium over the browser example (examples/wasm-web): serve it with a built model, read what it shows. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Server } from 'node:http';
import { linePixels } from './ocr-inputs.js';

/** The Chromium the test drives (Debian's package). */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const EXAMPLE = path.resolve('examples/wasm-web');

/** Undefined when the browser test can run here, else what is missing. */
export function browserUnavailable(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} (Debian package chromium)`;
}

/** Write OCR line `i` (48x320 RGB) as a 24-bit BMP, turned 180 degrees when `flipped`. */
export function writeLineBmp(file: string, i: number, flipped: boolean): void {
  const [H, W] = [48, 320];
  const rgb = linePixels(i);
  const row = Math.ceil((W * 3) / 4) * 4;
  const b = Buffer.alloc(54 + row * H);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(W, 18);
  b.writeInt32LE(-H, 22); // top-down rows
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * H, 34);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const [sy, sx] = flipped ? [H - 1 - y, W - 1 - x] : [y, x];
      const s = (sy * W + sx) * 3;
      const d = 54 + y * row + x * 3;
      b[d] = rgb[s + 2];
      b[d + 1] = rgb[s + 1];
      b[d + 2] = rgb[s];
    }
  fs.writeFileSync(file, b);
}

/** What the page shows for one image. */
export interface Shown {
  image: string;
  text: string;
  angle: string;
}

/** Serve the example with `modelDir` as its model/ and `imagesDir` as images/, open it in headless Chromium once per image. */
export async function classifyInBrowser(modelDir: string, imagesDir: string, images: string[]): Promise<Shown[]> {
  const { serveStatic } = (await import(path.join(EXAMPLE, 'serve.mjs'))) as { serveStatic(root: string, mounts: Record<string, string>): Promise<Server> };
  const { chromium } = await import('playwright-core');
  const server = await serveStatic(EXAMPLE, { '/model': modelDir, '/images': imagesDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const port = (server.address() as { port: number }).port;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const shown: Shown[] = [];
    for (const image of images) {
      await page.goto(`http://127.0.0.1:${port}/index.html?image=/images/${image}`);
      const result = page.locator('#result:not([data-state="loading"])');
      await result.waitFor({ timeout: 60_000 });
      if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
      shown.push({ image, text: (await result.textContent()) ?? '', angle: (await result.getAttribute('data-angle')) ?? '' });
    }
    return shown;
  } finally {
    await browser.close();
    server.close();
  }
}
