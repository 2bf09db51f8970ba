// The GPU backend's kernel library: compiled pipelines (cached per kernel and weight type) and
// one method per operation that records a dispatch into a command encoder. Sizes are checked
// here (bugs in callers become typed errors, not GPU faults); shapes are in each method's comment.
import { WasmChordError } from '../errors.js';
import type { GpuWeight } from './buffers.js';
import { attentionWgsl, KV_LOAD, KV_STORE } from './wgsl-attention.js';
import { decoderWgsl, hasQdot, qdotWgsl } from './wgsl-quant.js';
import {
  ADD,
  GEGLU,
  GELU,
  getRowsWgsl,
  LAYER_NORM,
  matmulQ8Wgsl,
  matmulWgsl,
  QUANTIZE_Q8,
  QUANTIZE_Q8_K,
  RMS_NORM,
  ROPE,
  SCALE,
  SWIGLU,
  WG,
} from './wgsl-ops.js';

/** Token tile of the prefill matmul: each workgroup decodes its weight row once per TILE tokens. */
export const MATMUL_TILE = 8;
const MAX_GRID = 65535;
/** Bind groups kept (each with a 16-32 byte uniform buffer): a decode step of a 32-layer model
 *  records ~600 dispatches, all of them again in the next step. */
const BIND_CACHE = 4096;

/** A uniform value: a u32, or an f32 written as { f }. */
type Param = number | { f: number };

function grid(n: number): [number, number] {
  const x = Math.min(Math.max(n, 1), MAX_GRID);
  return [x, Math.ceil(Math.max(n, 1) / x)];
}

export class GpuKernels {
  readonly device: GPUDevice;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  // Bind groups with their uniform block, by (pipeline, buffers, uniform values), least recently
  // used first: a decode step repeats the previous step's dispatches (only attention's pos0
  // changes), so it records them without creating a buffer or a bind group. Trimmed to
  // bindCache entries after each submit (never while an encoder may still use them).
  private readonly groups = new Map<string, { group: GPUBindGroup; uniform: GPUBuffer }>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  // Consecutive dispatches share one compute pass (a pass per dispatch costs a flush on some
  // backends); copy() and submit() end it.
  private pass: { enc: GPUCommandEncoder; pass: GPUComputePassEncoder } | undefined;

  /** The matmul reductions use subgroupAdd. */
  readonly subgroups: boolean;

  private readonly bindCache: number;

  /** opts.subgroups: default when the device has the 'subgroups' feature (false forces the plain
   *  reductions, e.g. to test both); opts.bindCache: bind groups kept (default BIND_CACHE). */
  constructor(device: GPUDevice, opts: { subgroups?: boolean; bindCache?: number } = {}) {
    this.device = device;
    this.bindCache = opts.bindCache ?? BIND_CACHE;
    const has = device.features.has('subgroups');
    if (opts.subgroups && !has) throw new WasmChordError('unsupported', "GpuKernels: the device has no 'subgroups' feature");
    this.subgroups = opts.subgroups ?? has;
  }

  private pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ label: key, code: code() });
      p = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private id(o: object): number {
    let i = this.ids.get(o);
    if (i === undefined) this.ids.set(o, (i = this.nextId++));
    return i;
  }

  private uniform(values: Param[]): GPUBuffer {
    const words = Math.ceil(values.length / 4) * 4;
    const buf = this.device.createBuffer({ size: words * 4, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const range = buf.getMappedRange();
    const u = new Uint32Array(range);
    const f = new Float32Array(range);
    values.forEach((v, i) => {
      if (typeof v === 'number') u[i] = v;
      else f[i] = v.f;
    });
    buf.unmap();
    return buf;
  }

  /** The bind group of `buffers` (bindings 0..) and a uniform block of `params` (the next one). */
  private bindGroup(pipeline: GPUComputePipeline, buffers: GPUBuffer[], params: Param[]): GPUBindGroup {
    let key = `${this.id(pipeline)}`;
    for (const b of buffers) key += `,${this.id(b)}`;
    for (const v of params) key += typeof v === 'number' ? `|${v}` : `|f${v.f}`;
    let g = this.groups.get(key);
    // A hit is deleted and re-inserted below: the map's order is least recently used first.
    if (g) this.groups.delete(key);
    else {
      const uniform = this.uniform(params);
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      entries.push({ binding: buffers.length, resource: { buffer: uniform } });
      g = { group: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), uniform };
    }
    this.groups.set(key, g);
    return g.group;
  }

  private dispatch(
    enc: GPUCommandEncoder,
    pipeline: GPUComputePipeline,
    buffers: GPUBuffer[],
    params: Param[],
    x: number,
    y = 1,
    z = 1,
  ): void {
    const group = this.bindGroup(pipeline, buffers, params);
    if (this.pass?.enc !== enc) {
      this.endPass();
      this.pass = { enc, pass: enc.beginComputePass() };
    }
    const pass = this.pass.pass;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
  }

  private endPass(): void {
    this.pass?.pass.end();
    this.pass = undefined;
  }

  /** A buffer copy recorded in order with the dispatches (outside their compute pass). */
  copy(enc: GPUCommandEncoder, src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits `enc` (one encoder records at a time), then trims the bind-group cache: a uniform
   *  destroyed after the submit that uses it lives until that work is done. Resolves when the GPU
   *  has finished. */
  submit(enc: GPUCommandEncoder): Promise<void> {
    if (this.pass?.enc === enc) this.endPass();
    this.device.queue.submit([enc.finish()]);
    for (const [key, g] of this.groups) {
      if (this.groups.size <= this.bindCache) break;
      this.groups.delete(key);
      g.uniform.destroy();
    }
    return this.device.queue.onSubmittedWorkDone();
  }

  /** Frees the cached uniform blocks (the pipelines go with the device). */
  dispose(): void {
    for (const g of this.groups.values()) g.uniform.destroy();
    this.groups.clear();
    this.spansNone?.destroy();
    this.spansNone = undefined;
  }

  // Bound as attention's spans when there are none (the shader reads them only when packed).
  private spansNone: GPUBuffer | undefined;
  private noSpans(): GPUBuffer {
    return (this.spansNone ??= this.device.createBuffer({ label: 'no spans', size: 16, usage: GPUBufferUsage.STORAGE }));
  }

  /** y (tokens, w.rows) = x (tokens, w.cols) . W^T. tokens = 1 is the decode matvec; more use the
   *  token-tiled kernel (weights decoded once per MATMUL_TILE tokens). */
  matmul(enc: GPUCommandEncoder, w: GpuWeight, x: GPUBuffer, y: GPUBuffer, tokens: number): void {
    if (w.cols % 4 !== 0) throw new WasmChordError('invalid_argument', `matmul: ${w.cols} columns is not a multiple of 4`);
    const tn = tokens === 1 ? 1 : MATMUL_TILE;
    const t = w.type;
    const sg = this.subgroups;
    const pipeline = this.pipeline(`matmul ${t.name} ${tn}${sg ? ' sg' : ''}`, () => matmulWgsl(decoderWgsl(t), tn, sg));
    for (const part of w.parts) {
      const [gx, gy] = grid(part.rows);
      this.dispatch(
        enc,
        pipeline,
        [part.buffer, x, y],
        [part.rows, w.cols, w.rowBytes, part.row0, w.rows, tokens, gx, 0],
        gx,
        gy,
        Math.ceil(tokens / tn),
      );
    }
  }

  /** x (n floats) as int8 blocks for matmulQ8: xq (n / 4 u32), xd (n / 32 f32). block 32: Q8_0's
   *  rule (n a multiple of 32); 256: Q8_K's (n a multiple of 256; each scale repeated 8 times), the
   *  activations llama.cpp and the CPU backend dot with K-quant weights. */
  quantizeQ8(enc: GPUCommandEncoder, x: GPUBuffer, xq: GPUBuffer, xd: GPUBuffer, n: number, block: 32 | 256 = 32): void {
    if (n % block !== 0) throw new WasmChordError('invalid_argument', `quantizeQ8: ${n} floats is not whole blocks of ${block}`);
    const [gx, gy] = grid(Math.ceil(n / block / WG));
    this.dispatch(
      enc,
      block === 32 ? this.pipeline('quantize_q8', () => QUANTIZE_Q8) : this.pipeline('quantize_q8_K', () => QUANTIZE_Q8_K),
      [x, xq, xd],
      [n / block, gx, 0, 0],
      gx,
      gy,
    );
  }

  /** True when matmulQ8 handles w's type (the adapter must also have dot4I8Packed). */
  static hasIntegerPath(w: GpuWeight): boolean {
    return hasQdot(w.type);
  }

  /** matmul with activations quantized by quantizeQ8 (tokens x w.cols) and dot4I8Packed. */
  matmulQ8(enc: GPUCommandEncoder, w: GpuWeight, xq: GPUBuffer, xd: GPUBuffer, y: GPUBuffer, tokens: number): void {
    const t = w.type;
    if (!hasQdot(t)) throw new WasmChordError('unsupported', `matmulQ8: no integer path for ${t.name}`);
    const tn = tokens === 1 ? 1 : MATMUL_TILE;
    const sg = this.subgroups;
    const pipeline = this.pipeline(`matmul_q8 ${t.name} ${tn}${sg ? ' sg' : ''}`, () => matmulQ8Wgsl(qdotWgsl(t), tn, sg));
    for (const part of w.parts) {
      const [gx, gy] = grid(part.rows);
      this.dispatch(
        enc,
        pipeline,
        [part.buffer, xq, xd, y],
        [part.rows, w.cols, w.rowBytes, part.row0, w.rows, tokens, gx, 0],
        gx,
        gy,
        Math.ceil(tokens / tn),
      );
    }
  }

  /** y (ids.length, w.cols) f32 = rows `ids` of W (the embedding lookup). ids: a u32 buffer. */
  getRows(enc: GPUCommandEncoder, w: GpuWeight, ids: GPUBuffer, nIds: number, y: GPUBuffer): void {
    const t = w.type;
    const pipeline = this.pipeline(`get_rows ${t.name}`, () => getRowsWgsl(decoderWgsl(t)));
    for (const part of w.parts)
      this.dispatch(enc, pipeline, [part.buffer, ids, y], [part.rows, w.cols, w.rowBytes, part.row0], Math.ceil(w.cols / 4 / WG), nIds);
  }

  /** y (rows, n) = rms_norm(x (rows, n)) * weight (n). */
  rmsNorm(enc: GPUCommandEncoder, x: GPUBuffer, weight: GPUBuffer, y: GPUBuffer, rows: number, n: number, eps: number): void {
    this.dispatch(
      enc,
      this.pipeline('rms_norm', () => RMS_NORM),
      [x, weight, y],
      [n, rows, { f: eps }, 0],
      rows,
    );
  }

  /** y (rows, n) = layer_norm(x (rows, n)) * weight (n) + bias (n) (no bias when undefined). */
  layerNorm(
    enc: GPUCommandEncoder,
    x: GPUBuffer,
    weight: GPUBuffer,
    bias: GPUBuffer | undefined,
    y: GPUBuffer,
    rows: number,
    n: number,
    eps: number,
  ): void {
    this.dispatch(
      enc,
      this.pipeline('layer_norm', () => LAYER_NORM),
      [x, weight, bias ?? weight, y], // without a bias the binding is unused (has_bias 0)
      [n, rows, { f: eps }, bias ? 1 : 0],
      rows,
    );
  }

  /** x (tokens, nHead, headDim) rotated in place: the first r.nRot dims of each head of token t by
   *  the (cos, sin) pairs of row t of `table` (rows, nRot / 2 vec2 f32: ropeAngles' layout; with
   *  r.oneRow, row 0 for every token). */
  rope(
    enc: GPUCommandEncoder,
    x: GPUBuffer,
    table: GPUBuffer,
    tokens: number,
    nHead: number,
    headDim: number,
    r: { nRot: number; neox: boolean; oneRow?: boolean },
  ): void {
    const { nRot } = r;
    if (nRot % 2 !== 0 || nRot > headDim) throw new WasmChordError('invalid_argument', `rope: n_rot ${nRot} for head_dim ${headDim}`);
    if (table.size < (r.oneRow ? 1 : tokens) * nRot * 4)
      throw new WasmChordError('invalid_argument', `rope: a ${table.size}-byte table for ${tokens} tokens of ${nRot / 2} pairs`);
    const [gx, gy] = grid(Math.ceil((tokens * nHead * (nRot / 2)) / WG));
    this.dispatch(
      enc,
      this.pipeline('rope', () => ROPE),
      [x, table],
      [nHead, headDim, nRot, tokens, r.neox ? 1 : 0, gx, r.oneRow ? 0 : nRot / 2, 0],
      gx,
      gy,
    );
  }

  /** Positions row0 .. row0 + rows - 1 of an f16 KV cache (rows, kvDim as f16 pairs) = x (rows,
   *  kvDim) f32, rounded as the CPU's cache stores them (wgsl-attention.ts). ring > 0: the cache is
   *  a ring of `ring` rows, position p in row p % ring (a sliding-window layer's; rows <= ring). */
  kvStore(enc: GPUCommandEncoder, x: GPUBuffer, cache: GPUBuffer, row0: number, rows: number, kvDim: number, ring = 0): void {
    if (ring <= 0) return this.kvRows(enc, 'kv_store', KV_STORE, x, cache, row0, rows, kvDim);
    if (rows > ring) throw new WasmChordError('invalid_argument', `kv_store: ${rows} rows into a ring of ${ring}`);
    // At most two runs: up to the ring's end, then from its start.
    const slot = row0 % ring;
    const first = Math.min(rows, ring - slot);
    this.kvRows(enc, 'kv_store', KV_STORE, x, cache, slot, first, kvDim);
    if (first < rows) this.kvRows(enc, 'kv_store', KV_STORE, x, cache, 0, rows - first, kvDim, first);
  }

  /** x (rows, kvDim) f32 = rows row0 .. row0 + rows - 1 of an f16 KV cache, exactly. */
  kvLoad(enc: GPUCommandEncoder, cache: GPUBuffer, x: GPUBuffer, row0: number, rows: number, kvDim: number): void {
    this.kvRows(enc, 'kv_load', KV_LOAD, x, cache, row0, rows, kvDim);
  }

  /** Cache rows row0 .. row0 + rows - 1 to or from rows xRow .. of x. */
  private kvRows(
    enc: GPUCommandEncoder,
    key: string,
    code: string,
    x: GPUBuffer,
    cache: GPUBuffer,
    row0: number,
    rows: number,
    kvDim: number,
    xRow = 0,
  ): void {
    if (kvDim % 2 !== 0) throw new WasmChordError('invalid_argument', `${key}: a row of ${kvDim} values is not whole f16 pairs`);
    if (cache.size < (row0 + rows) * kvDim * 2 || x.size < (xRow + rows) * kvDim * 4)
      throw new WasmChordError('invalid_argument', `${key}: rows ${row0}..${row0 + rows - 1} past a ${cache.size}-byte cache`);
    const pairs = (rows * kvDim) / 2;
    const [gx, gy] = grid(Math.ceil(pairs / WG));
    const buffers = key === 'kv_store' ? [x, cache] : [cache, x];
    this.dispatch(
      enc,
      this.pipeline(key, () => code),
      buffers,
      [pairs, (row0 * kvDim) / 2, gx, (xRow * kvDim) / 2],
      gx,
      gy,
    );
  }

  /** A context shift (runtime/context.h PendingShift; Context::shift on the CPU) over every layer's
   *  f16 cache k, v (n_ctx, kvDim): rows nKeep + nDiscard .. nPast - 1 move down by nDiscard, the
   *  moved keys widened to f32, re-rotated by -nDiscard positions with `rope(enc, x, rows)` —
   *  the layer's own RoPE over x (rows, kvDim), every row by the angles of position -nDiscard —
   *  and stored as f16 again, as KvCache::shift; on NoPE layers (no rope) the keys move as bytes,
   *  as the values do. The rows pass through a scratch buffer (a copy may not overlap itself):
   *  returns the buffers to destroy once `enc` is submitted. */
  kvShift(
    enc: GPUCommandEncoder,
    layers: ReadonlyArray<{
      k: GPUBuffer;
      v: GPUBuffer;
      rope?: (enc: GPUCommandEncoder, x: GPUBuffer, rows: number) => void;
    }>,
    s: { nKeep: number; nDiscard: number; nPast: number; kvDim: number },
  ): GPUBuffer[] {
    const from = s.nKeep + s.nDiscard;
    if (s.nKeep < 0 || s.nDiscard <= 0 || from > s.nPast)
      throw new WasmChordError('invalid_argument', `kvShift: cannot drop ${s.nDiscard} rows after ${s.nKeep} of ${s.nPast}`);
    if (s.kvDim % 2 !== 0) throw new WasmChordError('invalid_argument', `kvShift: a row of ${s.kvDim} values is not whole f16 pairs`);
    const rows = s.nPast - from;
    if (rows === 0) return [];
    const row = s.kvDim * 2; // bytes of one f16 row
    const tmp = this.device.createBuffer({
      label: 'kv shift',
      size: rows * s.kvDim * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const move = (c: GPUBuffer) => {
      this.copy(enc, c, from * row, tmp, 0, rows * row);
      this.copy(enc, tmp, 0, c, s.nKeep * row, rows * row);
    };
    for (const l of layers) {
      if (l.k.size < s.nPast * row || l.v.size < s.nPast * row)
        throw new WasmChordError('invalid_argument', `kvShift: a cache of ${l.k.size} bytes holds fewer than ${s.nPast} rows`);
      if (l.rope) {
        this.kvLoad(enc, l.k, tmp, from, rows, s.kvDim);
        l.rope(enc, tmp, rows);
        this.kvStore(enc, tmp, l.k, s.nKeep, rows, s.kvDim);
      } else move(l.k);
      move(l.v);
    }
    return [tmp];
  }

  /** gate (n) = silu(gate) * up, in place. */
  swiglu(enc: GPUCommandEncoder, gate: GPUBuffer, up: GPUBuffer, n: number): void {
    this.elementwise(enc, 'swiglu', SWIGLU, [gate, up], n);
  }

  /** gate (n) = gelu(gate) * up, in place (GeGLU, tanh GELU through f16 as ggml's table). */
  geglu(enc: GPUCommandEncoder, gate: GPUBuffer, up: GPUBuffer, n: number): void {
    this.elementwise(enc, 'geglu', GEGLU, [gate, up], n);
  }

  /** x (n) = gelu(x), in place (tanh GELU through f16 as ggml's table). */
  gelu(enc: GPUCommandEncoder, x: GPUBuffer, n: number): void {
    this.elementwise(enc, 'gelu', GELU, [x], n, 0, 0);
  }

  /** y (n) += opts.scale * x (n), or x (opts.period) repeated over y (a bias added to each row). */
  add(enc: GPUCommandEncoder, y: GPUBuffer, x: GPUBuffer, n: number, opts: { period?: number; scale?: number } = {}): void {
    this.elementwise(enc, 'add', ADD, [y, x], n, opts.period ?? n, { f: opts.scale ?? 1 });
  }

  /** x (n) *= s, in place. */
  scale(enc: GPUCommandEncoder, x: GPUBuffer, s: number, n: number): void {
    this.elementwise(enc, 'scale', SCALE, [x], n, { f: s }, 0);
  }

  /** x (n) = tanh(x / cap) * cap, in place (soft-capping). */
  softcap(enc: GPUCommandEncoder, x: GPUBuffer, cap: number, n: number): void {
    if (!(cap > 0)) throw new WasmChordError('invalid_argument', `softcap: cap ${cap}`);
    this.elementwise(enc, 'scale', SCALE, [x], n, { f: cap }, 1);
  }

  /** One invocation per element i < n; uniforms [n, grid_x, ...extra]. */
  private elementwise(enc: GPUCommandEncoder, key: string, code: string, buffers: GPUBuffer[], n: number, ...extra: Param[]): void {
    const [gx, gy] = grid(Math.ceil(n / WG));
    this.dispatch(
      enc,
      this.pipeline(key, () => code),
      buffers,
      [n, gx, ...extra],
      gx,
      gy,
    );
  }

  /** out (tokens, nHead, headDim) = GQA attention of q (same shape) at positions pos0 ..
   *  pos0 + tokens - 1 over the cache k, v (rows, nKvHead * headDim; f16 pairs, or f32 with
   *  s.kv 'f32'), whose rows up to pos0 + tokens - 1 are written. Causal (default): token t sees
   *  rows 0..pos0 + t, the last s.window of them when s.window > 0; causal false: every token sees
   *  rows 0..pos0 + tokens - 1 (encoders). Packed sequences (a.spans: (tokens, 2) u32, as
   *  Context::layout_packed): token t sees rows spans[2t] .. spans[2t + 1] - 1 instead (its own
   *  sequence's: causal or not is in the spans), the window applied as above; every span must lie
   *  within the rows 0..pos0 + tokens - 1. s.ring > 0: the cache is a sliding-window layer's ring
   *  of s.ring rows (>= window + tokens - 1), position p in row p % ring (kvStore's ring). No
   *  scratch: the keys are streamed (wgsl-attention.ts). */
  attention(
    enc: GPUCommandEncoder,
    a: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; out: GPUBuffer; spans?: GPUBuffer },
    s: {
      tokens: number;
      pos0: number;
      nHead: number;
      nKvHead: number;
      headDim: number;
      scale: number;
      /** sliding window in positions (0: the whole context) */
      window?: number;
      /** scores soft-capped at this (0: off) */
      softcap?: number;
      causal?: boolean;
      /** the cache's element type (default f16) */
      kv?: 'f16' | 'f32';
      /** rows of a ring cache (0: row = position) */
      ring?: number;
    },
  ): void {
    if (s.nHead % s.nKvHead !== 0) throw new WasmChordError('invalid_argument', `attention: ${s.nHead} heads over ${s.nKvHead} KV heads`);
    if (s.headDim % 2 !== 0) throw new WasmChordError('invalid_argument', `attention: head_dim ${s.headDim} is odd`);
    const f16 = (s.kv ?? 'f16') === 'f16';
    const ring = s.ring ?? 0;
    const window = s.window ?? 0;
    if (ring > 0 && (!(s.causal ?? true) || window <= 0 || ring < window + s.tokens - 1))
      throw new WasmChordError(
        'invalid_argument',
        `attention: a ring of ${ring} rows for ${s.tokens} tokens needs a causal window of at most ${ring - s.tokens + 1}`,
      );
    const rowBytes = s.nKvHead * s.headDim * (f16 ? 2 : 4);
    const need = (ring > 0 ? ring : s.pos0 + s.tokens) * rowBytes;
    if (a.k.size < need || a.v.size < need)
      throw new WasmChordError(
        'invalid_argument',
        `attention: a cache of ${Math.min(a.k.size, a.v.size)} bytes for ${need / rowBytes} rows`,
      );
    if (a.spans && a.spans.size < s.tokens * 8)
      throw new WasmChordError('invalid_argument', `attention: ${a.spans.size} bytes of spans for ${s.tokens} tokens`);
    if (a.spans && ring > 0 && s.pos0 + s.tokens > ring)
      throw new WasmChordError('invalid_argument', `attention: packed rows past a ring of ${ring}`);
    const nc = Math.max(1, Math.ceil(s.headDim / (2 * WG)));
    this.dispatch(
      enc,
      this.pipeline(`attention ${f16 ? 'f16' : 'f32'} ${nc}`, () => attentionWgsl(f16, nc)),
      [a.q, a.k, a.v, a.out, a.spans ?? this.noSpans()],
      [
        s.nHead,
        s.nKvHead,
        s.headDim,
        s.pos0,
        s.tokens,
        { f: s.scale },
        window,
        { f: s.softcap ?? 0 },
        (s.causal ?? true) ? 1 : 0,
        a.spans ? 1 : 0,
        ring,
        0,
      ],
      s.nHead,
      s.tokens,
    );
  }
}
