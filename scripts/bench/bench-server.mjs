// Static file server for the browser benchmark: serves the repo read-only from 127.0.0.1 with
// COOP same-origin + COEP require-corp, so pages are cross-origin isolated and both runtimes can
// use SharedArrayBuffer threads. Only a few roots are exposed (package, wllama, models, bench).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.gguf': 'application/octet-stream',
};
const ROOTS = ['js/dist/', 'node_modules/@wllama/wllama/esm/', 'build/bench-models/', 'scripts/bench/'];

/** Starts the server on an ephemeral port; resolves to { url, close() }. `mounts` maps extra URL
 *  prefixes to folders outside the repo (e.g. { 'big/': '/tmp/chord-big' } for big-model.mjs). */
export function startServer(repoRoot, mounts = {}) {
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400, headers).end();
      return;
    }
    rel = normalize(rel).split(sep).join('/');
    const mount = Object.keys(mounts).find((m) => rel.startsWith(m));
    if (rel.startsWith('..') || (!mount && !ROOTS.some((r) => rel.startsWith(r)))) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    const file = mount ? join(mounts[mount], rel.slice(mount.length)) : join(repoRoot, rel);
    let st;
    try {
      st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
