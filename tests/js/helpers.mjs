// Shared helpers for the package tests: fixture paths, a tiny GGUF rewriter (add keys, split into
// parts) and a local HTTP server (127.0.0.1 only).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import { findModelsDir } from '../../scripts/serve.mjs';

// WASM_CHORD_MODELS, else shared/models beside the checkout, else /work/shared/models.
export const MODELS = findModelsDir() ?? '/work/shared/models';
export const STORIES = join(MODELS, 'gguf/stories260K.gguf');
export const TINY_RANDOM = join(MODELS, 'gguf/llama-2-tiny-random.gguf');
export const LEGACY_V1 = join(MODELS, 'legacy/tinyllamas-stories-260k-f32.gguf');
export const LEGACY_GGJT = join(MODELS, 'legacy/TinyLLama-v0.ggmlv3.q4_0.bin');
export const GOLDEN_TEXT = join(MODELS, 'golden/stories260K.greedy200.txt');
export const GOLDEN_JSON = join(MODELS, 'golden/stories260K.greedy200.json');
export const TEMPLATES = join(MODELS, 'chat-templates');

/** Greedy sampling with every other sampler neutral. */
export const GREEDY = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1 };

// ---- GGUF (v2/v3) minimal reader/writer: keeps KV entries as raw bytes ----

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class Cursor {
  constructor(buf) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
  }
  u32() {
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64() {
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }
  str() {
    const n = this.u64();
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  skipValue(type) {
    if (type === 8) {
      this.str();
      return;
    }
    if (type === 9) {
      const et = this.u32();
      const n = this.u64();
      for (let i = 0; i < n; ++i) this.skipValue(et);
      return;
    }
    this.pos += SCALAR_SIZE[type];
  }
}

export function parseGguf(bytes) {
  const c = new Cursor(bytes);
  if (c.u32() !== 0x46554747) throw new Error('not GGUF');
  const version = c.u32();
  const nTensors = c.u64();
  const nKv = c.u64();
  const kvs = [];
  let alignment = 32;
  for (let i = 0; i < nKv; ++i) {
    const start = c.pos;
    const key = c.str();
    const type = c.u32();
    const vpos = c.pos;
    c.skipValue(type);
    if (key === 'general.alignment') alignment = new DataView(bytes.buffer, bytes.byteOffset + vpos).getUint32(0, true);
    kvs.push({ key, raw: bytes.subarray(start, c.pos) });
  }
  const tensors = [];
  for (let i = 0; i < nTensors; ++i) {
    const name = c.str();
    const nDims = c.u32();
    const ne = [];
    for (let d = 0; d < nDims; ++d) ne.push(c.u64());
    const type = c.u32();
    const offset = c.u64();
    tensors.push({ name, ne, type, offset });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  sorted.forEach((t, i) => {
    const end = i + 1 < sorted.length ? sorted[i + 1].offset : bytes.byteLength - dataStart;
    const n = t.ne.reduce((a, b) => a * b, 1);
    t.nbytes = t.type === 0 ? 4 * n : t.type === 1 ? 2 * n : end - t.offset;
    t.data = bytes.subarray(dataStart + t.offset, dataStart + t.offset + t.nbytes);
  });
  return { version, alignment, kvs, tensors };
}

function kvBytes(key, type, valueBytes) {
  const k = new TextEncoder().encode(key);
  const out = new Uint8Array(8 + k.length + 4 + valueBytes.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(k.length), true);
  out.set(k, 8);
  dv.setUint32(8 + k.length, type, true);
  out.set(valueBytes, 12 + k.length);
  return out;
}

export function kvString(key, s) {
  const b = new TextEncoder().encode(s);
  const v = new Uint8Array(8 + b.length);
  new DataView(v.buffer).setBigUint64(0, BigInt(b.length), true);
  v.set(b, 8);
  return { key, raw: kvBytes(key, 8, v) };
}

export function kvU16(key, n) {
  const v = new Uint8Array(2);
  new DataView(v.buffer).setUint16(0, n, true);
  return { key, raw: kvBytes(key, 2, v) };
}

export function kvI32(key, n) {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setInt32(0, n, true);
  return { key, raw: kvBytes(key, 5, v) };
}

/** Serializes a GGUF v3 file from KV entries (raw) and tensors ({name, ne, type, data}). */
export function writeGguf({ kvs, tensors, alignment = 32 }) {
  const enc = new TextEncoder();
  const align = (n) => Math.ceil(n / alignment) * alignment;
  let off = 0;
  const infos = tensors.map((t) => {
    const name = enc.encode(t.name);
    const info = { name, t, offset: off };
    off = align(off + t.data.byteLength);
    return info;
  });
  let headerSize = 4 + 4 + 8 + 8 + kvs.reduce((s, kv) => s + kv.raw.byteLength, 0);
  for (const i of infos) headerSize += 8 + i.name.length + 4 + 8 * i.t.ne.length + 4 + 8;
  const dataStart = align(headerSize);
  const out = new Uint8Array(dataStart + off);
  const dv = new DataView(out.buffer);
  let p = 0;
  dv.setUint32(p, 0x46554747, true);
  p += 4;
  dv.setUint32(p, 3, true);
  p += 4;
  dv.setBigUint64(p, BigInt(tensors.length), true);
  p += 8;
  dv.setBigUint64(p, BigInt(kvs.length), true);
  p += 8;
  for (const kv of kvs) {
    out.set(kv.raw, p);
    p += kv.raw.byteLength;
  }
  for (const i of infos) {
    dv.setBigUint64(p, BigInt(i.name.length), true);
    p += 8;
    out.set(i.name, p);
    p += i.name.length;
    dv.setUint32(p, i.t.ne.length, true);
    p += 4;
    for (const n of i.t.ne) {
      dv.setBigUint64(p, BigInt(n), true);
      p += 8;
    }
    dv.setUint32(p, i.t.type, true);
    p += 4;
    dv.setBigUint64(p, BigInt(i.offset), true);
    p += 8;
  }
  for (const i of infos) out.set(i.t.data, dataStart + i.offset);
  return out;
}

/** stories260K with extra/replaced string keys. */
export function withKeys(path, extra) {
  const g = parseGguf(new Uint8Array(readFileSync(path)));
  const keys = new Set(extra.map((e) => e.key));
  return writeGguf({ kvs: [...g.kvs.filter((kv) => !keys.has(kv.key)), ...extra], tensors: g.tensors, alignment: g.alignment });
}

/** Splits a model (a path or the file's bytes) into n gguf-split style parts (metadata in part 0,
 *  tensors spread out). */
export function splitGguf(model, n) {
  const g = parseGguf(typeof model === 'string' ? new Uint8Array(readFileSync(model)) : model);
  const per = Math.ceil(g.tensors.length / n);
  const parts = [];
  for (let i = 0; i < n; ++i) {
    const split = [kvU16('split.no', i), kvU16('split.count', n), kvI32('split.tensors.count', g.tensors.length)];
    parts.push(
      writeGguf({
        kvs: i === 0 ? [...g.kvs, ...split] : split,
        tensors: g.tensors.slice(i * per, (i + 1) * per),
        alignment: g.alignment,
      }),
    );
  }
  return parts;
}

// ---- HTTP ----

/** Serves routes { '/path': { body: Uint8Array, chunked?, status?, length? } } on 127.0.0.1. */
export async function serve(routes) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const r = routes[url.pathname];
    if (!r) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    if (r.handler) {
      r.handler(req, res);
      return;
    }
    const headers = { 'content-type': 'application/octet-stream' };
    if (!r.chunked) headers['content-length'] = String(r.length ?? r.body.byteLength);
    res.writeHead(r.status ?? 200, headers);
    // several writes so the client sees more than one chunk
    const step = Math.max(1, Math.ceil(r.body.byteLength / 7));
    for (let o = 0; o < r.body.byteLength; o += step) res.write(r.body.subarray(o, o + step));
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}

/** Rejects with what `fn` throws; fails if it does not throw. */
export async function rejection(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Reads a Server-Sent Events body, checking that every event is exactly one `data:` line, and
 *  calls onEvent with each event's data ('[DONE]' or the parsed JSON). Returns what followed the
 *  last complete event ('' for a well-formed stream), or null if onEvent returned true to stop. */
export async function readSse(reader, onEvent) {
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return buf;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      assert.match(block, /^data: [^\n]+$/, `one data line per event: ${JSON.stringify(block)}`);
      const data = block.slice(6);
      if (onEvent(data === '[DONE]' ? '[DONE]' : JSON.parse(data))) return null;
    }
  }
}

export const BIN = join(
  import.meta.dirname,
  '../..',
  JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).bin['wasm-chord'],
);

/** Runs the bin; resolves with its exit status and output. `onStdout` sees output as it comes. */
export function runCli(args, { input, timeout = 30000, onStdout, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out = [];
    const err = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: wasm-chord ${args.join(' ')}`));
    }, timeout);
    child.stdout.on('data', (d) => {
      out.push(d);
      onStdout?.(d, child);
    });
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Starts `wasm-chord serve -m stories260K` on a free port; resolves once it listens. */
export function spawnServer(extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '-m', STORIES, '--port', '0', '-t', '1', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start:\n${stderr}`));
    }, 20000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          stderr: () => stderr,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${stderr}`));
    });
  });
}

/** stories260K loaded in-process with the embeddable server and an official openai client on it. */
export async function serveModel(opts = {}) {
  const [{ loadModel }, { createServer: createChordServer }, { default: OpenAI }] = await Promise.all([
    import('wasm-chord'),
    import('wasm-chord/server'),
    import('openai'),
  ]);
  const model = await loadModel(STORIES, { threads: 1, ...opts });
  const server = createChordServer(model, { modelId: 'stories' });
  const url = await server.listen(0);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none' });
  return {
    model,
    server,
    url,
    client,
    async close() {
      await server.close();
      await model.dispose();
    },
  };
}

// ---- JSON Schema checking for constrained-output tests (the keywords those tests use) ----

/** Problems of `value` against `schema` (type, properties, required, additionalProperties,
 *  enum, const, minimum/maximum, minLength/maxLength, items, minItems/maxItems); [] when valid. */
export function schemaErrors(schema, value, path = '$') {
  const errs = [];
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const is = (t) => t === type || (t === 'integer' && Number.isInteger(value)) || (t === 'number' && type === 'number');
  if (schema.type && ![schema.type].flat().some(is)) return [`${path}: expected ${schema.type}, got ${type}`];
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errs.push(`${path}: not in enum`);
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errs.push(`${path}: not the const`);
  if (type === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${path}: above maximum`);
  }
  if (type === 'string') {
    const n = [...value].length;
    if (schema.minLength !== undefined && n < schema.minLength) errs.push(`${path}: shorter than minLength`);
    if (schema.maxLength !== undefined && n > schema.maxLength) errs.push(`${path}: longer than maxLength`);
  }
  if (type === 'array') {
    if (schema.minItems !== undefined && value.length < schema.minItems) errs.push(`${path}: fewer than minItems`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${path}: more than maxItems`);
    if (schema.items) value.forEach((v, i) => errs.push(...schemaErrors(schema.items, v, `${path}[${i}]`)));
  }
  if (type === 'object') {
    for (const k of schema.required ?? []) if (!(k in value)) errs.push(`${path}: missing ${k}`);
    for (const [k, v] of Object.entries(value)) {
      if (schema.properties?.[k]) errs.push(...schemaErrors(schema.properties[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected ${k}`);
    }
  }
  return errs;
}

/** Returns track(model): models passed to it are disposed after each test (Node 20 has no `await using`). */
export function disposeAfterEach() {
  const open = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.dispose()));
  });
  return (m) => {
    open.push(m);
    return m;
  };
}
