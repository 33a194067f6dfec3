// A static file server for the example (no dependencies): `node serve.mjs [port]` serves this folder on localhost.
// Tests import serveStatic to serve it with extra files (a model built elsewhere, test images).
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.bmp': 'image/bmp', '.png': 'image/png' };

/** Serve `root` (and each `mounts` URL prefix from its folder) on 127.0.0.1:`port` (0: any free port). */
export function serveStatic(root, mounts = {}, port = 0) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const mount = Object.keys(mounts).find((m) => url.startsWith(`${m}/`));
    const base = mount ? mounts[mount] : root;
    const rel = mount ? url.slice(mount.length) : url;
    const file = path.join(base, path.normalize(rel === '/' ? '/index.html' : rel));
    if (!file.startsWith(path.resolve(base)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const server = await serveStatic(here, {}, Number(process.argv[2] ?? 8080));
  process.stdout.write(`serving ${here} on http://127.0.0.1:${server.address().port}/\n`);
}
