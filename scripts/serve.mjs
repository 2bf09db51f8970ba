#!/usr/bin/env node
// A small static server for the web demo and the browser tests (127.0.0.1 only): the demo at /,
// the package at /node_modules/wasm-chord/ (package.json + js/dist) and the demo's marked and
// DOMPurify from node_modules (their browser ES modules), shared models at /models/
// (Range, ETag, Last-Modified), COOP/COEP on every response (a document asked with ?coi=0 gets
// none: single-thread mode), and test routes that break downloads on purpose. With `cors` it acts
// as a CDN for pages of other origins (CORS and Cross-Origin-Resource-Policy: cross-origin).
// Usage: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1] [--root dir] [--no-coi]
//        (PORT env also sets the port; --root serves only that folder, e.g. a Vite build).
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gguf': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** Packages the demo imports through its import map, served at /node_modules/<name>/: only
 *  package.json and the folder holding the browser build (wasm-chord is this repository). */
const PACKAGES = {
  'wasm-chord': { root: REPO, dir: 'js/dist/' },
  marked: { root: join(REPO, 'node_modules', 'marked'), dir: 'lib/' },
  dompurify: { root: join(REPO, 'node_modules', 'dompurify'), dir: 'dist/' },
};

/** The shared fixtures folder, found as tests/cpp/test_util.h does. */
export function findModelsDir() {
  const candidates = [process.env.WASM_CHORD_MODELS, join(REPO, '..', 'shared', 'models'), '/work/shared/models'].filter(Boolean);
  return candidates.find((c) => existsSync(join(c, 'MODELS.md'))) ?? null;
}

/** Absolute path of `rel` inside `root`, or null if it escapes it. */
function inside(root, rel) {
  const p = normalize(join(root, rel));
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : null;
}

function fileTag(st) {
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

/**
 * Starts the server. Options: port (0 = any), host, coi (send COOP/COEP; default true),
 * cors (let pages of any origin use every file, isolated pages included; default false),
 * root (serve only this folder), modelsDir, files ({ '/url/path': '/local/file' }, served as they
 * are: tests add files this way). Resolves to { server, url, stats, close() }.
 * stats.requests lists { method, path, range } of every request (the tests read it). Setting
 * stats.offline to a RegExp drops every request whose path (with its query) matches, as a lost
 * network would (the socket is closed with no response); such requests are listed with refused: true.
 */
export async function startServer({
  port = 8080,
  host = '127.0.0.1',
  coi = true,
  cors = false,
  root,
  modelsDir = findModelsDir(),
  files = {},
} = {}) {
  const stats = { requests: [], flakySeen: new Set(), offline: null };
  const demoDir = join(REPO, 'web-demo');
  const models = modelsDir ? join(modelsDir, 'gguf') : null;

  function isolationHeaders(req, url, headers) {
    const isDocument = (req.headers['sec-fetch-dest'] ?? 'document') === 'document';
    if (!coi || (isDocument && url.searchParams.get('coi') === '0')) return;
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    headers['Cross-Origin-Resource-Policy'] = 'same-origin';
  }

  function corsHeaders(headers) {
    if (!cors) return;
    headers['Access-Control-Allow-Origin'] = '*';
    headers['Access-Control-Allow-Headers'] = 'Range';
    headers['Access-Control-Expose-Headers'] = 'Content-Length, Content-Range, ETag, Last-Modified, Accept-Ranges';
    headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
  }

  function send(res, status, headers, body) {
    res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  /** Serves a file with Range/ETag support; `mode` 'drop-half' sends half the body, then resets;
   *  'slow' sends 64 KiB every 50 ms (about 1.3 MB/s). */
  function serveFile(req, res, path, headers, mode) {
    let st;
    try {
      st = statSync(path);
    } catch {
      return send(res, 404, { 'Content-Type': 'text/plain' }, 'not found\n');
    }
    if (!st.isFile()) return send(res, 404, { 'Content-Type': 'text/plain' }, 'not found\n');
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const etag = fileTag(st);
    Object.assign(headers, {
      'Content-Type': type,
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': st.mtime.toUTCString(),
      // Models: no-store (the page's IndexedDB cache is the cache; Chromium's HTTP cache would
      // otherwise finish cut downloads itself with Range requests of its own).
      'Cache-Control': extname(path) === '.gguf' ? 'no-store' : 'no-cache',
    });
    if (req.headers['if-none-match'] === etag && !req.headers.range) {
      res.writeHead(304, headers);
      return res.end();
    }
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (m && (m[1] !== '' || m[2] !== '')) {
      if (m[1] === '') start = Math.max(0, st.size - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start > end || start >= st.size) {
        return send(res, 416, { ...headers, 'Content-Range': `bytes */${st.size}` }, '');
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    }
    headers['Content-Length'] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    if (mode === 'drop-half' && status === 200) {
      // Half the declared bytes (paced, so the client reads them as they come), then the connection
      // is destroyed: a download that stops half-way. (Chromium drops body bytes it has received
      // but the page has not read yet when the connection fails, as a real drop would.)
      const half = Math.floor(st.size / 2);
      const s = createReadStream(path, { start: 0, end: half - 1, highWaterMark: 32 << 10 });
      s.on('data', (c) => {
        s.pause();
        res.write(c);
        setTimeout(() => s.resume(), 10);
      });
      s.on('end', () => setTimeout(() => res.socket?.destroy(), 400));
      res.on('close', () => s.destroy());
      return;
    }
    if (mode === 'slow') {
      const s = createReadStream(path, { start, end, highWaterMark: 64 << 10 });
      s.on('data', (c) => {
        s.pause();
        res.write(c);
        setTimeout(() => s.resume(), 50);
      });
      s.on('end', () => res.end());
      res.on('close', () => s.destroy());
      return;
    }
    createReadStream(path, { start, end }).pipe(res);
  }

  function modelIndex() {
    const list =
      models && existsSync(models)
        ? readdirSync(models)
            .filter((n) => n.endsWith('.gguf'))
            .sort()
            .map((n) => ({ name: n, url: `/models/${n}`, size: statSync(join(models, n)).size }))
        : [];
    const dflt = list.find((m) => m.name === 'stories260K.gguf') ?? null;
    return { default: dflt ? dflt.url : null, models: list };
  }

  const server = createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(res, 400, {}, 'bad request\n');
    }
    const path = decodeURIComponent(url.pathname);
    const refused = stats.offline?.test(url.pathname + url.search) ?? false;
    stats.requests.push({ method: req.method, path: url.pathname + url.search, range: req.headers.range ?? null, refused });
    if (refused) return req.socket.destroy();
    const headers = {};
    isolationHeaders(req, url, headers);
    corsHeaders(headers);
    if (cors && req.method === 'OPTIONS') {
      res.writeHead(204, { ...headers, 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, headers, 'method not allowed\n');

    if (root) {
      const p = inside(root, path.endsWith('/') ? path + 'index.html' : path);
      return p ? serveFile(req, res, p, headers) : send(res, 403, headers, 'forbidden\n');
    }
    if (Object.hasOwn(files, path)) return serveFile(req, res, files[path], headers);
    if (path === '/models/index.json')
      return send(res, 200, { ...headers, 'Content-Type': TYPES['.json'], 'Cache-Control': 'no-cache' }, JSON.stringify(modelIndex()));
    let m;
    if ((m = /^\/models\/([^/]+)$/.exec(path))) {
      if (!models) return send(res, 404, headers, 'no models folder\n');
      return serveFile(req, res, join(models, basename(m[1])), headers);
    }
    // Test routes: /test/drop-half/<model> stops every full (non-Range) response half-way;
    // /test/flaky/<model>?k=… stops only the first full request for each distinct URL;
    // /test/slow/<model> streams slowly (a download that takes a while).
    if ((m = /^\/test\/(drop-half|flaky|slow)\/([^/]+)$/.exec(path)) && models) {
      const file = join(models, basename(m[2]));
      let mode;
      if (m[1] === 'drop-half' || m[1] === 'slow') mode = m[1];
      else if (!req.headers.range && !stats.flakySeen.has(url.pathname + url.search)) {
        stats.flakySeen.add(url.pathname + url.search);
        mode = 'drop-half';
      }
      return serveFile(req, res, file, headers, mode);
    }
    if (path === '/test/stats')
      return send(res, 200, { ...headers, 'Content-Type': TYPES['.json'] }, JSON.stringify({ requests: stats.requests }));
    if ((m = /^\/node_modules\/([^/]+)\/(.*)$/.exec(path)) && Object.hasOwn(PACKAGES, m[1])) {
      const pkg = PACKAGES[m[1]];
      const rel = m[2];
      if (rel !== 'package.json' && !rel.startsWith(pkg.dir)) return send(res, 404, headers, 'not found\n');
      const p = inside(pkg.root, rel);
      return p ? serveFile(req, res, p, headers) : send(res, 403, headers, 'forbidden\n');
    }
    const p = inside(demoDir, path === '/' ? 'index.html' : path);
    return p ? serveFile(req, res, p, headers) : send(res, 403, headers, 'forbidden\n');
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolveListen);
  });
  const addr = server.address();
  const base = `http://${host}:${addr.port}`;
  return {
    server,
    stats,
    url: base,
    port: addr.port,
    modelIndex,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(opt('--port') ?? process.env.PORT ?? 8080);
  const host = opt('--host') ?? '127.0.0.1';
  const root = opt('--root') ? resolve(opt('--root')) : undefined;
  const s = await startServer({ port, host, root, coi: !args.includes('--no-coi') });
  const idx = s.modelIndex();
  console.log(`wasm-chord demo: ${s.url}/   (cross-origin isolated, threads)`);
  if (!root) {
    console.log(`                 ${s.url}/?coi=0   (not isolated: single thread)`);
    console.log(
      idx.default
        ? `default model:   ${s.url}${idx.default}`
        : 'no default model found (set WASM_CHORD_MODELS); the page asks for a URL or file',
    );
  }
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((e) => {
    console.error(e?.message ?? e);
    process.exit(1);
  });
