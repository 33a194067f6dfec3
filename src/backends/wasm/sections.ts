/** Reading a WebAssembly binary's section table (sizes for reports, imports for the freestanding check). */

/** Sections of a module: id and payload byte range. */
export function wasmSections(bin: Uint8Array): { id: number; start: number; size: number }[] {
  const out: { id: number; start: number; size: number }[] = [];
  let p = 8; // magic + version
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bin[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return v;
    }
  };
  while (p < bin.length) {
    const id = bin[p++];
    const size = leb();
    out.push({ id, start: p, size });
    p += size;
  }
  return out;
}

/** Byte size of the code section (function bodies), or undefined if the module has none. */
export function wasmCodeBytes(bin: Uint8Array): number | undefined {
  return wasmSections(bin).find((s) => s.id === 10)?.size;
}
