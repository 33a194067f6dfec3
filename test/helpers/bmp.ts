/** A BMP reader for test images: uncompressed 1/4/8-bit paletted and 24/32-bit BGR, bottom-up or top-down rows, to 8-bit gray. */
import * as fs from 'node:fs';

/** A decoded image: width, height and one luminance byte per pixel, rows top to bottom. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** ITU-R BT.601 luma of an RGB triple, rounded (gray palettes map to themselves). */
function luma(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/** Read a .bmp file as 8-bit gray; throws on compressed or unusual files with the reason. */
export function readBmpGray(file: string): GrayImage {
  const b = fs.readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  if (b.length < 54 || b.toString('latin1', 0, 2) !== 'BM') fail('not a BMP file (no BM signature)');
  const dataOffset = b.readUInt32LE(10);
  const headerSize = b.readUInt32LE(14);
  if (headerSize < 40) fail(`BMP core headers (${headerSize} bytes) are not supported`);
  const width = b.readInt32LE(18);
  const rawHeight = b.readInt32LE(22);
  const bpp = b.readUInt16LE(28);
  const compression = b.readUInt32LE(30);
  // BI_RGB, or BI_BITFIELDS for 32-bit pixels with the usual BGRA masks.
  if (compression !== 0 && !(compression === 3 && bpp === 32)) fail(`compression ${compression} is not supported`);
  if (![1, 4, 8, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported`);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const colors = b.readUInt32LE(46) || (bpp <= 8 ? 1 << bpp : 0);
  const palette: number[] = [];
  for (let i = 0; i < colors; i++) {
    const p = 14 + headerSize + 4 * i;
    palette.push(luma(b[p + 2], b[p + 1], b[p]));
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > b.length) fail('pixel data is truncated');
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      let v: number;
      if (bpp >= 24) {
        const p = row + x * (bpp / 8);
        v = luma(b[p + 2], b[p + 1], b[p]);
      } else {
        const bit = x * bpp;
        const index = (b[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        v = palette[index] ?? fail(`palette index ${index} is out of range`);
      }
      pixels[y * width + x] = v;
    }
  }
  return { width, height, pixels };
}
