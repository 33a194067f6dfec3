/** Lossless weight packing (`--pack lossless`): canonical Huffman codes for int8/uint8 weights and for float32 exponent bytes (DFloat11-style), emitted as C data for runtime-c/kernels/unpack.h. */
import type { Value } from '../../ir/types.js';
import { DTYPES } from '../../ir/dtype.js';

/** Longest code the decoder reads. */
const MAX_LEN = 15;

/** Huffman code lengths (1..15) of byte symbols from their counts; unused symbols get 0. */
export function codeLengths(freq: ArrayLike<number>): Uint8Array {
  const f = Array.from(freq);
  for (;;) {
    const used = f.map((c, s) => ({ c, s })).filter((x) => x.c > 0);
    const len = new Uint8Array(256);
    if (used.length === 1) len[used[0].s] = 1;
    if (used.length <= 1) return len;
    // Merge the two lightest trees until one remains; each merge deepens the symbols inside by one.
    let trees = used.map((x) => ({ w: x.c, syms: [x.s] }));
    while (trees.length > 1) {
      trees.sort((a, b) => a.w - b.w || a.syms[0] - b.syms[0]);
      const [a, b] = trees;
      for (const s of [...a.syms, ...b.syms]) len[s]++;
      trees = [{ w: a.w + b.w, syms: [...a.syms, ...b.syms] }, ...trees.slice(2)];
    }
    if (Math.max(...len) <= MAX_LEN) return len;
    // Too deep: flatten the distribution and retry.
    for (let s = 0; s < 256; s++) if (f[s] > 0) f[s] = Math.max(1, f[s] >> 1);
  }
}

/** A canonical code: counts per length, symbols in code order, and the code and length of each symbol. */
export interface CanonicalCode {
  count: Uint16Array;
  symbols: number[];
  code: Uint32Array;
  len: Uint8Array;
}

/** Assign canonical codes (by length, then symbol) as the decoder expects. */
export function canonicalCode(len: Uint8Array): CanonicalCode {
  const count = new Uint16Array(MAX_LEN + 1);
  for (let s = 0; s < 256; s++) if (len[s]) count[len[s]]++;
  const symbols = Array.from({ length: 256 }, (_, s) => s).filter((s) => len[s]).sort((a, b) => len[a] - len[b] || a - b);
  const code = new Uint32Array(256);
  const next = new Uint32Array(MAX_LEN + 2);
  for (let l = 1, c = 0; l <= MAX_LEN; l++) {
    next[l] = c;
    c = (c + count[l]) << 1;
  }
  for (const s of symbols) code[s] = next[len[s]]++;
  return { count, symbols, code, len };
}

/** Encode bytes with a canonical code into an MSB-first bit stream. */
export function huffEncode(bytes: ArrayLike<number>, c: CanonicalCode): Uint8Array {
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) bits += c.len[bytes[i]];
  const out = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (let i = 0; i < bytes.length; i++) {
    const s = bytes[i];
    for (let b = c.len[s] - 1; b >= 0; b--, pos++) if ((c.code[s] >> b) & 1) out[pos >> 3] |= 0x80 >> (pos & 7);
  }
  return out;
}

/** Decode (the TypeScript twin of edgec_huff_decode, for tests). */
export function huffDecode(stream: Uint8Array, c: Pick<CanonicalCode, 'count' | 'symbols'>, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_LEN; len++) {
      code |= (stream[pos >> 3] >> (7 - (pos & 7))) & 1;
      pos++;
      if (code - c.count[len] < first) {
        out[i] = c.symbols[index + code - first];
        break;
      }
      index += c.count[len];
      first = (first + c.count[len]) << 1;
      code <<= 1;
    }
  }
  return out;
}

/** A packed constant: the coded symbols, the raw remainder (float32 sign and mantissa), and its packed size. */
export interface PackedConst {
  code: CanonicalCode;
  stream: Uint8Array;
  rest?: Uint8Array;
  bytes: number;
}

/** Dtypes the packer codes: bytes directly, or a float's exponent byte. */
const PACKABLE = new Set(['float32', 'int8', 'uint8']);

/** Pack one constant, or undefined when its dtype is not coded or coding does not save bytes. */
export function packConst(v: Value): PackedConst | undefined {
  if (!PACKABLE.has(v.dtype) || v.data.length < 256) return undefined;
  const n = v.data.length;
  let syms: Uint8Array;
  let rest: Uint8Array | undefined;
  if (v.dtype === 'float32') {
    const u = new Uint32Array(Float32Array.from(v.data as Float32Array).buffer);
    syms = new Uint8Array(n);
    rest = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      syms[i] = (u[i] >>> 23) & 0xff;
      const r = ((u[i] >>> 31) << 23) | (u[i] & 0x7fffff);
      rest[3 * i] = r & 0xff;
      rest[3 * i + 1] = (r >>> 8) & 0xff;
      rest[3 * i + 2] = (r >>> 16) & 0xff;
    }
  } else {
    syms = Uint8Array.from(v.data as ArrayLike<number>, (x) => x & 0xff);
  }
  const freq = new Array<number>(256).fill(0);
  for (const s of syms) freq[s]++;
  const code = canonicalCode(codeLengths(freq));
  const stream = huffEncode(syms, code);
  const bytes = stream.length + (rest?.length ?? 0) + 2 * (MAX_LEN + 1) + code.symbols.length;
  return bytes < n * DTYPES[v.dtype].bytes ? { code, stream, rest, bytes } : undefined;
}

const bytesInit = (b: ArrayLike<number>) => {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 24) parts.push(Array.from({ length: Math.min(24, b.length - i) }, (_, k) => b[i + k]).join(','));
  return parts.join(',\n') || '0';
};

/** C definitions of a packed constant: the RAM array the decoder fills (same symbol and type as the unpacked one, not const) and the coded data. */
export function packedArraySource(symbol: string, v: Value, p: PackedConst): string {
  const n = v.data.length;
  const lines = [
    `static const uint16_t ${symbol}_hc[${MAX_LEN + 1}] = {${Array.from(p.code.count).join(',')}};`,
    `static const uint8_t ${symbol}_hs[${Math.max(1, p.code.symbols.length)}] = {${p.code.symbols.join(',') || '0'}};`,
    `static const uint8_t ${symbol}_hb[${Math.max(1, p.stream.length)}] = {${bytesInit(p.stream)}};`,
  ];
  if (v.dtype === 'float32') {
    lines.push(`static const uint8_t ${symbol}_hr[${p.rest!.length}] = {${bytesInit(p.rest!)}};`);
    lines.push(`EDGEC_ALIGNED(64) union { uint32_t u[${n}]; float f[${n}]; } ${symbol}_u;`);
  } else {
    lines.push(`EDGEC_ALIGNED(64) ${DTYPES[v.dtype].cType} ${symbol}[${n}];`);
  }
  return `${lines.join('\n')}\n`;
}

/** The statement that decodes a packed constant into its RAM array. */
export function unpackCall(symbol: string, v: Value): string {
  const h = `{${symbol}_hc, ${symbol}_hs, ${symbol}_hb}`;
  return v.dtype === 'float32'
    ? `{ const edgec_huff h = ${h}; edgec_unpack_f32(${symbol}_u.u, ${v.data.length}, &h, ${symbol}_hr); }`
    : `{ const edgec_huff h = ${h}; edgec_huff_decode(&h, (uint8_t *)${symbol}, ${v.data.length}, 1); }`;
}

/** The extern declaration of a packed constant's RAM array (matching packedArraySource). */
export function packedArrayDecl(symbol: string, v: Value): string {
  const n = v.data.length;
  return v.dtype === 'float32' ? `extern union { uint32_t u[${n}]; float f[${n}]; } ${symbol}_u;\n` : `extern ${DTYPES[v.dtype].cType} ${symbol}[${n}];\n`;
}
