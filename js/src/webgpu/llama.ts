// The llama forward pass on the GPU (architecture 'llama': RMSNorm, RoPE normal pairs, GQA
// attention over an f32 KV cache, SwiGLU FFN, optional tied output), built from a GGUF's tensors
// kept in their block formats (buffers.ts) and run with the kernel library (kernels.ts). The KV
// cache is indexed by position, so continuing from any n_past (prefix reuse) is just pos0 = n_past.
import { WasmChordError } from '../errors.js';
import type { GgufHeader, TensorEntry } from '../gguf/header.js';
import { destroyWeight, f32Buffer, readF32, u32Buffer, uploadWeight, type GpuWeight } from './buffers.js';
import type { GpuContext } from './device.js';
import { GpuKernels } from './kernels.js';

/** The model's sizes as the forward pass needs them (from the GGUF's llama.* keys). */
export interface LlamaShape {
  nEmbd: number;
  nFf: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  headDim: number;
  nRot: number;
  nVocab: number;
  eps: number;
  ropeBase: number;
  ropeScale: number;
}

interface Layer {
  attnNorm: GPUBuffer; // (n_embd)
  wq: GpuWeight; // (n_head * head_dim, n_embd)
  wk: GpuWeight; // (n_kv_head * head_dim, n_embd)
  wv: GpuWeight; // (n_kv_head * head_dim, n_embd)
  wo: GpuWeight; // (n_embd, n_head * head_dim)
  ffnNorm: GPUBuffer; // (n_embd)
  gate: GpuWeight; // (n_ff, n_embd)
  up: GpuWeight; // (n_ff, n_embd)
  down: GpuWeight; // (n_embd, n_ff)
  k: GPUBuffer; // KV cache (n_ctx, n_kv_head * head_dim) f32
  v: GPUBuffer; // (n_ctx, n_kv_head * head_dim) f32
}

function num(h: GgufHeader, key: string, fallback?: number): number {
  const v = h.metadata[key]?.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (fallback !== undefined) return fallback;
  throw new WasmChordError('bad_gguf', `missing ${key}`);
}

/** The llama shape of a GGUF header; other architectures are 'unsupported' on the GPU for now. */
export function llamaShape(h: GgufHeader): LlamaShape {
  const arch = h.metadata['general.architecture']?.value;
  if (arch !== 'llama') throw new WasmChordError('unsupported', `the WebGPU backend runs architecture 'llama', not '${String(arch)}'`);
  const nEmbd = num(h, 'llama.embedding_length');
  const nHead = num(h, 'llama.attention.head_count');
  const headDim = nEmbd / nHead;
  const emb = h.tensors.find((t) => t.name === 'token_embd.weight');
  if (!emb) throw new WasmChordError('bad_gguf', 'no token_embd.weight');
  return {
    nEmbd,
    nFf: num(h, 'llama.feed_forward_length'),
    nLayer: num(h, 'llama.block_count'),
    nHead,
    nKvHead: num(h, 'llama.attention.head_count_kv', nHead),
    headDim,
    nRot: num(h, 'llama.rope.dimension_count', headDim),
    nVocab: emb.shape[1] ?? 0,
    eps: num(h, 'llama.attention.layer_norm_rms_epsilon'),
    ropeBase: num(h, 'llama.rope.freq_base', 10000),
    ropeScale: 1 / num(h, 'llama.rope.scale_linear', 1),
  };
}

/** The forward pass of one llama model on one device (one sequence; not reentrant). */
export class GpuLlama {
  readonly shape: LlamaShape;
  readonly nCtx: number;
  readonly maxBatch: number;
  private readonly gpu: GpuContext;
  private readonly k: GpuKernels;
  private readonly embd: GpuWeight; // (n_vocab, n_embd)
  private readonly outNorm: GPUBuffer; // (n_embd)
  private readonly output: GpuWeight; // (n_vocab, n_embd): output.weight or the tied embedding
  private readonly layers: Layer[] = [];
  private readonly act: Record<'x' | 'xn' | 'q' | 'kk' | 'vv' | 'att' | 'o' | 'g' | 'u' | 'last' | 'logits' | 'scores', GPUBuffer>;
  private readonly buffers: GPUBuffer[] = [];
  // The integer path (dot4I8Packed adapters): matmul inputs quantized to int8 blocks of 32 once
  // and shared by the matmuls reading them, as the CPU quantizes activations for quantized weights.
  private readonly integer: boolean;
  private readonly xq: GPUBuffer; // (max_batch, max input dim / 4) packed int8
  private readonly xd: GPUBuffer; // (max_batch, max input dim / 32) scales
  private qSrc: GPUBuffer | undefined; // the activation xq/xd hold now
  private lost: string | undefined; // why the device was lost, once it is

  /** Uploads the weights. tensorBytes(t) returns tensor t's data bytes (from the loaded file). */
  /** opts.integer: use dot4I8Packed for the types that have it (default: when the adapter can). */
  constructor(
    gpu: GpuContext,
    header: GgufHeader,
    tensorBytes: (t: TensorEntry) => Uint8Array,
    opts: { nCtx: number; maxBatch?: number; integer?: boolean },
  ) {
    this.gpu = gpu;
    const s = (this.shape = llamaShape(header));
    this.nCtx = opts.nCtx;
    this.maxBatch = opts.maxBatch ?? 64;
    const device = gpu.device;
    this.k = new GpuKernels(device);
    device.lost.then(
      (info) => {
        this.lost = info.message || info.reason || 'lost';
      },
      () => {},
    );
    const maxBinding = gpu.report.maxStorageBufferBindingSize;
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const tensor = (name: string): TensorEntry => {
      const t = byName.get(name);
      if (!t) throw new WasmChordError('bad_gguf', `missing tensor ${name}`);
      return t;
    };
    const weight = (name: string, rows: number, cols: number): GpuWeight => {
      const t = tensor(name);
      if (t.shape[0] !== cols || (t.shape[1] ?? 1) !== rows)
        throw new WasmChordError('bad_gguf', `${name}: shape ${t.shape} is not ${cols},${rows}`);
      return uploadWeight(device, t.typeId, rows, cols, tensorBytes(t), maxBinding, name);
    };
    const vector = (name: string, n: number): GPUBuffer => {
      const t = tensor(name);
      if (t.typeId !== 0 || t.elements !== n) throw new WasmChordError('unsupported', `${name}: the WebGPU backend wants ${n} f32`);
      return this.own(f32Buffer(device, n, new Float32Array(new Uint8Array(tensorBytes(t)).buffer), name));
    };
    const qDim = s.nHead * s.headDim;
    const kvDim = s.nKvHead * s.headDim;
    this.embd = weight('token_embd.weight', s.nVocab, s.nEmbd);
    this.outNorm = vector('output_norm.weight', s.nEmbd);
    this.output = byName.has('output.weight') ? weight('output.weight', s.nVocab, s.nEmbd) : this.embd;
    for (let i = 0; i < s.nLayer; ++i) {
      const p = `blk.${i}.`;
      this.layers.push({
        attnNorm: vector(`${p}attn_norm.weight`, s.nEmbd),
        wq: weight(`${p}attn_q.weight`, qDim, s.nEmbd),
        wk: weight(`${p}attn_k.weight`, kvDim, s.nEmbd),
        wv: weight(`${p}attn_v.weight`, kvDim, s.nEmbd),
        wo: weight(`${p}attn_output.weight`, s.nEmbd, qDim),
        ffnNorm: vector(`${p}ffn_norm.weight`, s.nEmbd),
        gate: weight(`${p}ffn_gate.weight`, s.nFf, s.nEmbd),
        up: weight(`${p}ffn_up.weight`, s.nFf, s.nEmbd),
        down: weight(`${p}ffn_down.weight`, s.nEmbd, s.nFf),
        k: this.own(f32Buffer(device, this.nCtx * kvDim, undefined, `k${i}`)),
        v: this.own(f32Buffer(device, this.nCtx * kvDim, undefined, `v${i}`)),
      });
    }
    const b = this.maxBatch;
    const buf = (n: number, label: string) => this.own(f32Buffer(device, n, undefined, label));
    this.act = {
      x: buf(b * s.nEmbd, 'x'),
      xn: buf(b * s.nEmbd, 'xn'),
      q: buf(b * qDim, 'q'),
      kk: buf(b * kvDim, 'k new'),
      vv: buf(b * kvDim, 'v new'),
      att: buf(b * qDim, 'att'),
      o: buf(b * s.nEmbd, 'o'),
      g: buf(b * s.nFf, 'gate'),
      u: buf(b * s.nFf, 'up'),
      last: buf(s.nEmbd, 'last'),
      logits: buf(s.nVocab, 'logits'),
      scores: buf(b * s.nHead * this.nCtx, 'scores'),
    };
    this.integer = (opts.integer ?? true) && gpu.report.packedDot;
    const maxIn = Math.max(s.nEmbd, qDim, s.nFf);
    this.xq = buf((b * maxIn) / 4 + 1, 'xq');
    this.xd = buf((b * maxIn) / 32 + 1, 'xd');
  }

  /** y = x . W^T for n tokens, on the integer path when it applies (x quantized once per write:
   *  callers reset qSrc after rewriting an activation buffer). */
  private matmul(enc: GPUCommandEncoder, w: GpuWeight, x: GPUBuffer, y: GPUBuffer, n: number): void {
    if (this.integer && w.cols % 32 === 0 && GpuKernels.hasIntegerPath(w)) {
      if (this.qSrc !== x) {
        this.k.quantizeQ8(enc, x, this.xq, this.xd, n * w.cols);
        this.qSrc = x;
      }
      this.k.matmulQ8(enc, w, this.xq, this.xd, y, n);
    } else this.k.matmul(enc, w, x, y, n);
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  /** Runs `tokens` at positions pos0.. (the cache rows before pos0 are this sequence's) and
   *  returns the logits (n_vocab) after the last one. */
  async forward(tokens: readonly number[], pos0: number): Promise<Float32Array> {
    const s = this.shape;
    const n = tokens.length;
    if (this.lost !== undefined) throw new WasmChordError('internal', `the WebGPU device was lost (${this.lost}): load the model again`);
    if (n < 1 || n > this.maxBatch)
      throw new WasmChordError('invalid_argument', `forward: ${n} tokens (batch of at most ${this.maxBatch})`);
    if (pos0 < 0 || pos0 + n > this.nCtx)
      throw new WasmChordError('context_full', `forward: positions ${pos0}..${pos0 + n - 1} past the context of ${this.nCtx}`);
    if (tokens.some((t) => !(t >= 0 && t < s.nVocab)))
      throw new WasmChordError('invalid_argument', 'forward: token id out of the vocabulary');
    const device = this.gpu.device;
    const a = this.act;
    const k = this.k;
    const kvDim = s.nKvHead * s.headDim;
    const ids = u32Buffer(device, tokens, 'ids');
    const pos = u32Buffer(
      device,
      tokens.map((_, i) => pos0 + i),
      'pos',
    );
    const enc = device.createCommandEncoder();
    k.getRows(enc, this.embd, ids, n, a.x);
    for (const l of this.layers) {
      k.rmsNorm(enc, a.x, l.attnNorm, a.xn, n, s.nEmbd, s.eps);
      this.qSrc = undefined;
      this.matmul(enc, l.wq, a.xn, a.q, n);
      this.matmul(enc, l.wk, a.xn, a.kk, n);
      this.matmul(enc, l.wv, a.xn, a.vv, n);
      k.rope(enc, a.q, pos, n, s.nHead, s.headDim, s.nRot, s.ropeBase, s.ropeScale, false);
      k.rope(enc, a.kk, pos, n, s.nKvHead, s.headDim, s.nRot, s.ropeBase, s.ropeScale, false);
      k.copy(enc, a.kk, 0, l.k, pos0 * kvDim * 4, n * kvDim * 4);
      k.copy(enc, a.vv, 0, l.v, pos0 * kvDim * 4, n * kvDim * 4);
      k.attention(
        enc,
        { q: a.q, k: l.k, v: l.v, out: a.att, scores: a.scores, sStride: this.nCtx },
        { tokens: n, pos0, nHead: s.nHead, nKvHead: s.nKvHead, headDim: s.headDim, scale: 1 / Math.sqrt(s.headDim) },
      );
      this.qSrc = undefined;
      this.matmul(enc, l.wo, a.att, a.o, n);
      k.add(enc, a.x, a.o, n * s.nEmbd);
      k.rmsNorm(enc, a.x, l.ffnNorm, a.xn, n, s.nEmbd, s.eps);
      this.qSrc = undefined;
      this.matmul(enc, l.gate, a.xn, a.g, n);
      this.matmul(enc, l.up, a.xn, a.u, n);
      k.swiglu(enc, a.g, a.u, n * s.nFf);
      this.qSrc = undefined;
      this.matmul(enc, l.down, a.g, a.o, n);
      k.add(enc, a.x, a.o, n * s.nEmbd);
    }
    k.copy(enc, a.x, (n - 1) * s.nEmbd * 4, a.last, 0, s.nEmbd * 4);
    k.rmsNorm(enc, a.last, this.outNorm, a.xn, 1, s.nEmbd, s.eps);
    this.qSrc = undefined;
    this.matmul(enc, this.output, a.xn, a.logits, 1);
    try {
      await k.submit(enc);
      return await readF32(device, a.logits, s.nVocab);
    } catch (e) {
      // A device lost mid-pass rejects its promises; report it as such.
      await Promise.resolve();
      const why = this.lost ?? (e instanceof Error ? e.message : String(e));
      throw new WasmChordError('internal', `the WebGPU forward pass failed (${why}): load the model again`, { cause: e });
    } finally {
      ids.destroy();
      pos.destroy();
    }
  }

  /** Frees every GPU buffer (the device stays). */
  dispose(): void {
    for (const b of this.buffers) b.destroy();
    const ws = [this.embd, this.output, ...this.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down])];
    for (const w of new Set(ws)) destroyWeight(w);
  }
}
