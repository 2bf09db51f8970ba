// The forward pass on the GPU for every architecture the CPU runs (decoders: llama, mistral,
// qwen2/3, smollm3, granite, gemma2/3, phi3, olmo2; encoders for embeddings: bert, nomic-bert),
// driven by the C++ model description (model-desc.ts): the same steps as runtime/context.cpp's
// forward_batch / embed_tokens / attention_block / ffn_block, in the same order, with the
// differences read from ModelDesc fields. KV cache: f16 per layer as the CPU's (rounded as it
// rounds, wgsl-attention.ts; encoders: f32, as the CPU), indexed by position, except that
// sliding-window layers keep a ring of window + maxBatch - 1 rows wherever the CPU's KvCache keeps
// one (runtime/kv_cache.cpp ring_of; no mirror rows: attention wraps), with the same keepable()
// rule for prefix reuse and no context shift; a non-causal model evaluates a whole sequence in one
// pass from position 0 (maxBatch = nCtx). Embeddings may pack several sequences into one pass (as
// Context::eval_packed): each at positions from 0, in consecutive cache rows, attending only to
// its own rows. Attention streams the cache (no scores buffer: the context is bounded by one
// layer's cache fitting a storage binding).
import { WasmChordError } from '../errors.js';
import { f32Buffer, readF32, storageBuffer, u32Buffer, type GpuWeight } from './buffers.js';
import type { Dequantizer } from './dequant.js';
import type { GpuContext } from './device.js';
import { GpuKernels } from './kernels.js';
import type { LayerDescJs, ModelDescJs, ModelSpec } from './model-desc.js';
import { RopeTables, type RopeAngles } from './rope-table.js';
import { WeightUploader, type GpuLayerWeights } from './weights.js';

interface Layer extends GpuLayerWeights {
  il: number;
  desc: LayerDescJs;
  k: GPUBuffer; // KV cache (n_ctx or ring, kv_dim) f16, two a u32 (encoders: f32)
  v: GPUBuffer; // (n_ctx or ring, kv_dim) the same
  ring: Ring | undefined; // sliding-window layers: position p in row p % ring.rows
}

/** A sliding-window cache of `rows` rows, shared by the layers of one window. */
interface Ring {
  rows: number;
  window: number;
  pos: Int32Array; // (rows) the position last stored in each row, -1 if none (KvCache slot_pos)
}

/** Rows of a ring for `window` positions with batches of maxBatch tokens (a batch's earliest query
 *  still sees its window after the batch's later tokens are stored), or 0 where the layer keeps
 *  nCtx rows: the CPU's rule (runtime/kv_cache.cpp ring_of: a ring R = W + n_batch - 1 only where
 *  R plus its W - 1 mirror rows is shorter than the context), so both backends have rings (and
 *  refuse context shift, Context::can_shift) for the same models and options. */
export function ringRows(window: number, maxBatch: number, nCtx: number): number {
  const r = window + maxBatch - 1;
  return window > 0 && r + window - 1 < nCtx ? r : 0;
}

type Act = 'x' | 'xn' | 'q' | 'kk' | 'vv' | 'tmp' | 'att' | 'o' | 'g' | 'u' | 'last' | 'logits';

/** The forward pass of one model on one device (one sequence; not reentrant). */
export class GpuTransformer {
  readonly desc: ModelDescJs;
  readonly nCtx: number;
  readonly maxBatch: number;
  private readonly gpu: GpuContext;
  private readonly k: GpuKernels;
  private readonly weights: WeightUploader;
  private readonly embd: GpuWeight; // (n_vocab, n_embd)
  private readonly typeEmbd: GpuWeight | undefined; // (1, n_embd): row 0 of token_types (encoders)
  private readonly posEmbd: GpuWeight | undefined; // (n_ctx_train, n_embd) learned positions (bert)
  private readonly embdNorm: GPUBuffer | undefined; // (n_embd) encoders: LayerNorm of the embeddings
  private readonly embdNormB: GPUBuffer | undefined; // (n_embd)
  private readonly outNorm: GPUBuffer | undefined; // (n_embd); absent in encoders
  private readonly output: GpuWeight; // (n_vocab, n_embd): output.weight or the tied embedding
  private readonly rope: RopeTables; // the passes' cos/sin (the C++ rope_angles' floats)
  private readonly layers: Layer[] = [];
  private readonly rings: Ring[] = []; // the sliding-window rings, one per window
  private readonly act: Record<Act, GPUBuffer>;
  private readonly buffers: GPUBuffer[] = [];
  // The integer path (dot4I8Packed adapters): matmul inputs quantized to int8 once and shared by
  // the matmuls reading them, as the CPU (and llama.cpp) quantizes activations for quantized
  // weights: as Q8_0 (blocks of 32) for Q4_0/Q8_0 weights, as Q8_K (blocks of 256) for K-quants.
  private readonly integer: boolean;
  private readonly xq: GPUBuffer; // (max_batch, max input dim / 4) packed int8
  private readonly xd: GPUBuffer; // (max_batch, max input dim / 32) scales
  private qSrc: GPUBuffer | undefined; // the activation xq/xd hold now
  private qBlock = 32; // and its quantization block (32: Q8_0, 256: Q8_K)
  private lost: string | undefined; // why the device was lost, once it is

  /** Uploads the weights of `spec` (a loaded model's description and weight views).
   *  opts.ropeAngles: RoPE's cos/sin as the CPU computes them (rope-table.ts moduleRopeAngles);
   *  opts.integer: use dot4I8Packed for the types that have it (default: when the adapter can);
   *  opts.dequantize: expands types without a WGSL decoder to f16 (else they are 'unsupported'). */
  constructor(
    gpu: GpuContext,
    spec: ModelSpec,
    opts: { nCtx: number; ropeAngles: RopeAngles; maxBatch?: number; integer?: boolean; dequantize?: Dequantizer },
  ) {
    const d = (this.desc = spec.desc);
    this.gpu = gpu;
    this.nCtx = opts.nCtx;
    // Non-causal attention sees the whole sequence: a sequence is one batch (Context::plan).
    this.maxBatch = d.causal ? (opts.maxBatch ?? 64) : opts.nCtx;
    const device = gpu.device;
    this.k = new GpuKernels(device);
    device.lost.then(
      (info) => {
        this.lost = info.message || info.reason || 'lost';
      },
      () => {},
    );
    const w = spec.weights;
    const up = (this.weights = new WeightUploader(device, spec, gpu.report.maxStorageBufferBindingSize, opts.dequantize));
    const E = d.nEmbd;
    const Q = d.nHead * d.headDim;
    const KV = d.nHeadKv * d.headDim;
    try {
      this.embd = up.matrix(w.tokenEmbd, 'token_embd');
      this.typeEmbd = w.tokenTypes && up.matrix(w.tokenTypes, 'token_types[0]', 0, 1);
      this.posEmbd = w.positionEmbd && up.matrix(w.positionEmbd, 'position_embd');
      this.embdNorm = up.vector(w.embdNorm, E, 'token_embd_norm');
      this.embdNormB = up.vector(w.embdNormB, E, 'token_embd_norm.bias');
      this.outNorm = up.vector(w.outputNorm, E, 'output_norm') ?? (d.encoder ? undefined : missing('output_norm'));
      this.output = w.output && w.output.ptr !== w.tokenEmbd.ptr ? up.matrix(w.output, 'output') : this.embd;
      const factors = up.floats(w.ropeFactors, d.nRot / 2, 'rope_factors') ?? new Float32Array(0);
      this.rope = new RopeTables(device, d, factors, opts.ropeAngles, this.maxBatch);
      const dims = { embd: E, q: Q, kv: KV, ff: d.nFf, headDim: d.headDim, fullQk: d.qkNormFull, gated: d.gatedFfn };
      for (let i = 0; i < d.nLayer; ++i) {
        const window = d.causal ? d.layers[i]!.nSwa : 0;
        const rows = ringRows(window, this.maxBatch, this.nCtx);
        let ring = this.rings.find((r) => r.rows === rows);
        if (rows && !ring) this.rings.push((ring = { rows, window, pos: new Int32Array(rows).fill(-1) }));
        const bytes = (rows || this.nCtx) * KV * (d.causal ? 2 : 4);
        this.layers.push({
          ...up.layer(w.layers[i]!, i, dims),
          il: i,
          desc: d.layers[i]!,
          k: this.own(storageBuffer(device, bytes, `k${i}`)),
          v: this.own(storageBuffer(device, bytes, `v${i}`)),
          ring,
        });
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
    const b = this.maxBatch;
    const buf = (n: number, label: string) => this.own(f32Buffer(device, n, undefined, label));
    this.ids = this.own(u32Buffer(device, new Uint32Array(b), 'ids'));
    this.zero = this.own(u32Buffer(device, new Uint32Array(1), 'token type 0'));
    this.pos = this.own(u32Buffer(device, new Uint32Array(b), 'pos'));
    this.spans = this.own(u32Buffer(device, new Uint32Array(2 * b), 'spans'));
    this.act = {
      x: buf(b * E, 'x'),
      xn: buf(b * E, 'xn'),
      q: buf(b * Q, 'q'),
      kk: buf(b * KV, 'k new'),
      vv: buf(b * KV, 'v new'),
      tmp: buf(b * Math.max(Q, KV), 'q/k before their norms'),
      att: buf(b * Q, 'att'),
      o: buf(b * E, 'o'),
      g: buf(d.gatedFfn ? b * d.nFf : 1, 'gate'),
      u: buf(b * d.nFf, 'up'),
      last: buf(E, 'last'),
      logits: buf(d.nVocab, 'logits'),
    };
    this.integer = (opts.integer ?? true) && gpu.report.packedDot;
    const maxIn = Math.max(E, Q, d.nFf);
    this.xq = buf((b * maxIn) / 4 + 1, 'xq');
    this.xd = buf((b * maxIn) / 32 + 1, 'xd');
  }

  /** y = x . W^T for n tokens, on the integer path when it applies (x quantized once per write:
   *  callers reset qSrc after rewriting an activation buffer). */
  private matmul(enc: GPUCommandEncoder, w: GpuWeight, x: GPUBuffer, y: GPUBuffer, n: number): void {
    if (this.integer && w.cols % 32 === 0 && GpuKernels.hasIntegerPath(w)) {
      // K-quants dot Q8_K activations (blocks of 256), the others Q8_0's, as on the CPU
      const block = w.type.block === 256 ? 256 : 32;
      if (this.qSrc !== x || this.qBlock !== block) {
        this.k.quantizeQ8(enc, x, this.xq, this.xd, n * w.cols, block);
        this.qSrc = x;
        this.qBlock = block;
      }
      this.k.matmulQ8(enc, w, this.xq, this.xd, y, n);
    } else this.k.matmul(enc, w, x, y, n);
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  /** Bytes of the KV cache on the GPU (ModelInfo.contextBytes on this backend). */
  get kvBytes(): number {
    return this.layers.reduce((n, l) => n + l.k.size + l.v.size, 0);
  }

  /** Whether sliding-window layers keep rings (then there is no context shift, as on the CPU). */
  get hasRings(): boolean {
    return this.rings.length > 0;
  }

  /** The longest prefix (<= n) of the cached positions that stays usable after dropping the rest,
   *  as KvCache::keepable: continuing at n needs positions n - W + 1 .. n - 1 of every ring, which
   *  later positions may have overwritten; then nothing (0). */
  keepable(n: number): number {
    for (const r of this.rings) for (let p = Math.max(0, n - r.window + 1); p < n; ++p) if (r.pos[p % r.rows] !== p) return 0;
    return n;
  }

  /** A context shift (runtime/context.h PendingShift, as Context::shift on the CPU): cache rows
   *  nKeep + nDiscard .. nPast - 1 move down by nDiscard in every layer, their keys re-rotated by
   *  -nDiscard positions with the layer's RoPE (a pure rotation: no attn_factor; none on NoPE
   *  layers). */
  async shift(nKeep: number, nDiscard: number, nPast: number): Promise<void> {
    const d = this.desc;
    if (this.lost !== undefined) throw new WasmChordError('internal', `the WebGPU device was lost (${this.lost}): load the model again`);
    if (nPast > this.nCtx) throw new WasmChordError('invalid_argument', `shift: ${nPast} rows in a context of ${this.nCtx}`);
    if (this.hasRings) throw new WasmChordError('unsupported', 'context shift is not available for models with sliding-window layers');
    this.rope.writeShift(nDiscard);
    const enc = this.gpu.device.createCommandEncoder();
    const layers = this.layers.map((l) => {
      const table = this.rope.shift(l.il);
      return {
        k: l.k,
        v: l.v,
        rope: table
          ? (e: GPUCommandEncoder, x: GPUBuffer, rows: number) =>
              this.k.rope(e, x, table, rows, d.nHeadKv, d.headDim, { nRot: d.nRot, neox: d.ropeNeox, oneRow: true })
          : undefined,
      };
    });
    let scratch: GPUBuffer[] = [];
    try {
      scratch = this.k.kvShift(enc, layers, { nKeep, nDiscard, nPast, kvDim: d.nHeadKv * d.headDim });
      await this.k.submit(enc);
    } catch (e) {
      throw await this.failure(e);
    } finally {
      for (const b of scratch) b.destroy();
    }
  }

  /** Runs `tokens` at positions pos0.. (the cache rows before pos0 are this sequence's) and
   *  returns the logits (n_vocab) after the last one, or with opts.hidden every token's final
   *  hidden state after the output norm (tokens, n_embd): what embeddings pool.
   *  opts.lens (with hidden, pos0 0): tokens are consecutive sequences of these lengths, each at
   *  positions 0.., attending only to itself (causal within it for decoders, whole for encoders):
   *  as Context::eval_packed. */
  async forward(tokens: readonly number[], pos0: number, opts: { hidden?: boolean; lens?: readonly number[] } = {}): Promise<Float32Array> {
    const d = this.desc;
    const n = tokens.length;
    const a = this.act;
    const k = this.k;
    if (!opts.hidden && !this.outNorm)
      throw new WasmChordError('unsupported', `${d.arch} is an embedding model (no causal language-model head): use embed`);
    const enc = this.begin(tokens, pos0, opts.lens);
    const device = this.gpu.device;
    device.pushErrorScope('validation');
    let scoped = true;
    try {
      this.body(enc, n, pos0, opts.lens !== undefined);
      if (opts.hidden) {
        // Encoders end with their last layer's norm: no output norm.
        if (this.outNorm) this.norm(enc, a.x, this.outNorm, undefined, a.xn, n);
        await k.submit(enc);
        return await readF32(this.gpu.device, this.outNorm ? a.xn : a.x, n * d.nEmbd);
      }
      // Only the last token's row goes through the output projection (runtime/context.cpp).
      k.copy(enc, a.x, (n - 1) * d.nEmbd * 4, a.last, 0, d.nEmbd * 4);
      this.norm(enc, a.last, this.outNorm!, undefined, a.xn, 1);
      this.qSrc = undefined;
      this.matmul(enc, this.output, a.xn, a.logits, 1);
      if (d.logitScale !== 1) k.scale(enc, a.logits, d.logitScale, d.nVocab);
      if (d.finalSoftcap > 0) k.softcap(enc, a.logits, d.finalSoftcap, d.nVocab);
      await k.submit(enc);
      scoped = false;
      const invalid = await device.popErrorScope();
      if (invalid) throw new Error(`validation: ${invalid.message}`);
      return await readF32(device, a.logits, d.nVocab);
    } catch (e) {
      if (scoped) device.popErrorScope().catch(() => {});
      throw await this.failure(e);
    }
  }

  /** Checks the arguments, writes the token ids, positions (and packed sequences' spans) and makes
   *  the command encoder. */
  private begin(tokens: readonly number[], pos0: number, lens: readonly number[] | undefined): GPUCommandEncoder {
    const n = tokens.length;
    if (this.lost !== undefined) throw new WasmChordError('internal', `the WebGPU device was lost (${this.lost}): load the model again`);
    if (n < 1 || n > this.maxBatch)
      throw new WasmChordError('invalid_argument', `forward: ${n} tokens (batch of at most ${this.maxBatch})`);
    if (pos0 < 0 || pos0 + n > this.nCtx)
      throw new WasmChordError('context_full', `forward: positions ${pos0}..${pos0 + n - 1} past the context of ${this.nCtx}`);
    if (!this.desc.causal && pos0 !== 0)
      throw new WasmChordError('invalid_argument', 'a non-causal model evaluates a whole sequence at once, from position 0');
    if (tokens.some((t) => !(t >= 0 && t < this.desc.nVocab)))
      throw new WasmChordError('invalid_argument', 'forward: token id out of the vocabulary');
    if (lens && (pos0 !== 0 || lens.some((l) => !(Number.isInteger(l) && l > 0)) || lens.reduce((s, l) => s + l, 0) !== n))
      throw new WasmChordError('invalid_argument', `forward: packed sequences of ${lens.join(', ')} tokens for ${n} tokens at ${pos0}`);
    if (this.keepable(pos0) !== pos0)
      throw new WasmChordError('invalid_argument', `forward: the sliding-window rings no longer hold the positions before ${pos0}`);
    // From here on the rows of these positions count as stored (if the pass fails they may be
    // partly so: keepable() then errs toward keeping less); packed sequences' rows 0..n - 1 (n <=
    // maxBatch: no wrap) hold no one sequence's positions.
    for (const r of this.rings) for (let p = pos0; p < pos0 + n; ++p) r.pos[p % r.rows] = lens ? -1 : p;
    // The same id/position buffers every pass (written before this pass's submit), so that the
    // dispatches reading them are the previous step's, bind groups included (kernels.ts).
    const device = this.gpu.device;
    device.queue.writeBuffer(this.ids, 0, new Uint32Array(tokens));
    const pos = Uint32Array.from(tokens, (_, i) => pos0 + i);
    if (lens) {
      // Context::layout_packed: positions from 0 per sequence; rows lo..hi - 1 seen by each token.
      const spans = new Uint32Array(2 * n);
      let t = 0;
      for (const len of lens) {
        const start = t;
        for (let i = 0; i < len; ++i, ++t) {
          pos[t] = i;
          spans[2 * t] = start;
          spans[2 * t + 1] = this.desc.causal ? t + 1 : start + len;
        }
      }
      device.queue.writeBuffer(this.spans, 0, spans);
    }
    device.queue.writeBuffer(this.pos, 0, pos);
    this.rope.writeBatch(Int32Array.from(pos));
    return device.createCommandEncoder();
  }

  private readonly ids: GPUBuffer; // (max_batch) u32 token ids of the pass being recorded
  private readonly pos: GPUBuffer; // (max_batch) u32 their positions
  private readonly spans: GPUBuffer; // (max_batch, 2) u32 packed sequences: rows each token sees
  private readonly zero: GPUBuffer; // (1) u32 0: the token type every token has

  /** A failed pass as a typed error (a device lost mid-pass rejects its promises). */
  private async failure(e: unknown): Promise<unknown> {
    if (e instanceof WasmChordError && this.lost === undefined) return e;
    await Promise.resolve();
    const why = this.lost ?? (e instanceof Error ? e.message : String(e));
    return new WasmChordError('internal', `the WebGPU forward pass failed (${why}): load the model again`, { cause: e });
  }

  /** Embeddings and every layer for n tokens at pos0.. (packed: the sequences begin wrote):
   *  leaves the residual stream in act.x (n, n_embd), before the output norm. */
  private body(enc: GPUCommandEncoder, n: number, pos0: number, packed: boolean): void {
    const d = this.desc;
    const a = this.act;
    const k = this.k;
    const E = d.nEmbd;
    // As embed_tokens: token rows (scaled), + token type 0's row (encoders), + the position rows.
    k.getRows(enc, this.embd, this.ids, n, a.x);
    if (d.embdScale !== 1) k.scale(enc, a.x, d.embdScale, n * E);
    if (this.typeEmbd) {
      k.getRows(enc, this.typeEmbd, this.zero, 1, a.last);
      k.add(enc, a.x, a.last, n * E, { period: E });
    }
    if (this.posEmbd) {
      k.getRows(enc, this.posEmbd, this.pos, n, a.o);
      k.add(enc, a.x, a.o, n * E);
    }
    if (this.embdNorm) this.normInPlace(enc, this.embdNorm, this.embdNormB, n);
    for (const l of this.layers) {
      this.attention(enc, l, n, pos0, packed);
      this.residual(enc, l.attnPostNorm, l.attnOutNorm, l.attnOutNormB, n);
      this.ffn(enc, l, n);
      this.residual(enc, l.ffnPostNorm, l.layerOutNorm, l.layerOutNormB, n);
    }
  }

  /** y (rows, n_embd) = the model's norm of x (RMSNorm, or LayerNorm with an optional bias). */
  private norm(enc: GPUCommandEncoder, x: GPUBuffer, w: GPUBuffer, b: GPUBuffer | undefined, y: GPUBuffer, rows: number): void {
    const d = this.desc;
    if (d.norm === 'layer') this.k.layerNorm(enc, x, w, b, y, rows, d.nEmbd, d.normEps);
    else this.k.rmsNorm(enc, x, w, y, rows, d.nEmbd, d.normEps);
  }

  /** x = norm(x) (encoders' embedding and post-layer norms), through xn. */
  private normInPlace(enc: GPUCommandEncoder, w: GPUBuffer, b: GPUBuffer | undefined, n: number): void {
    const a = this.act;
    this.norm(enc, a.x, w, b, a.xn, n);
    this.k.copy(enc, a.xn, 0, a.x, 0, n * this.desc.nEmbd * 4);
  }

  /** x += residual_scale * post_norm(o) (post-norms: gemma2/3, olmo2), then x = sum_norm(x)
   *  (encoders' post-norm layers). */
  private residual(
    enc: GPUCommandEncoder,
    postNorm: GPUBuffer | undefined,
    sumNorm: GPUBuffer | undefined,
    sumNormB: GPUBuffer | undefined,
    n: number,
  ): void {
    const d = this.desc;
    const a = this.act;
    let o = a.o;
    if (postNorm) {
      this.k.rmsNorm(enc, a.o, postNorm, a.xn, n, d.nEmbd, d.normEps);
      o = a.xn;
    }
    this.k.add(enc, a.x, o, n * d.nEmbd, { scale: d.residualScale });
    if (sumNorm) this.normInPlace(enc, sumNorm, sumNormB, n);
  }

  /** The input of a block: x itself (no pre-norm: olmo2, encoders) or its norm in xn. */
  private blockInput(enc: GPUCommandEncoder, norm: GPUBuffer | undefined, n: number): GPUBuffer {
    this.qSrc = undefined;
    if (!norm) return this.act.x;
    this.norm(enc, this.act.x, norm, undefined, this.act.xn, n);
    return this.act.xn;
  }

  /** out (n, w.rows) = in . W^T + bias, then RMSNorm over spans of `span` values (q/k norms). */
  private project(
    enc: GPUCommandEncoder,
    w: GpuWeight,
    input: GPUBuffer,
    out: GPUBuffer,
    n: number,
    bias: GPUBuffer | undefined,
    norm: GPUBuffer | undefined,
    span: number,
  ): void {
    const dst = norm ? this.act.tmp : out;
    this.matmul(enc, w, input, dst, n);
    if (bias) this.k.add(enc, dst, bias, n * w.rows, { period: w.rows });
    if (norm) this.k.rmsNorm(enc, dst, norm, out, (n * w.rows) / span, span, this.desc.normEps);
  }

  // norm -> q, k, v (+ biases) -> q/k norms -> RoPE (not on NoPE layers), q scale -> KV cache ->
  // attention over the positions each token sees (its window; packed: within its sequence) ->
  // output projection into act.o.
  private attention(enc: GPUCommandEncoder, l: Layer, n: number, pos0: number, packed: boolean): void {
    const d = this.desc;
    const a = this.act;
    const k = this.k;
    const HD = d.headDim;
    const Q = d.nHead * HD;
    const KV = d.nHeadKv * HD;
    const input = this.blockInput(enc, l.attnNorm, n);
    this.project(enc, l.wq, input, a.q, n, l.bq, l.qNorm, d.qkNormFull ? Q : HD);
    this.project(enc, l.wk, input, a.kk, n, l.bk, l.kNorm, d.qkNormFull ? KV : HD);
    this.project(enc, l.wv, input, a.vv, n, l.bv, undefined, 0);
    const table = this.rope.batch(l.il);
    if (table) {
      const rope = { nRot: d.nRot, neox: d.ropeNeox };
      k.rope(enc, a.q, table, n, d.nHead, HD, rope);
      k.rope(enc, a.kk, table, n, d.nHeadKv, HD, rope);
    }
    if (d.scaleQ) k.scale(enc, a.q, d.kqScale, n * Q);
    // Encoders keep K and V in f32, as the CPU (and llama.cpp's cache-less encoder graph) does.
    if (d.causal) {
      k.kvStore(enc, a.kk, l.k, pos0, n, KV, l.ring?.rows);
      k.kvStore(enc, a.vv, l.v, pos0, n, KV, l.ring?.rows);
    } else {
      k.copy(enc, a.kk, 0, l.k, pos0 * KV * 4, n * KV * 4);
      k.copy(enc, a.vv, 0, l.v, pos0 * KV * 4, n * KV * 4);
    }
    k.attention(
      enc,
      { q: a.q, k: l.k, v: l.v, out: a.att, spans: packed ? this.spans : undefined },
      {
        tokens: n,
        pos0,
        nHead: d.nHead,
        nKvHead: d.nHeadKv,
        headDim: HD,
        scale: d.scaleQ ? 1 : d.kqScale,
        window: l.desc.nSwa,
        softcap: d.attnSoftcap,
        causal: d.causal,
        kv: d.causal ? 'f16' : 'f32',
        ring: l.ring?.rows,
      },
    );
    this.qSrc = undefined;
    this.matmul(enc, l.wo, a.att, a.o, n);
    if (l.bo) k.add(enc, a.o, l.bo, n * d.nEmbd, { period: d.nEmbd });
  }

  // norm -> gate and up -> act(gate) * up (SwiGLU or GeGLU) -> down projection into act.o;
  // ungated (bert): gelu(up + b) -> down (+ b).
  private ffn(enc: GPUCommandEncoder, l: Layer, n: number): void {
    const d = this.desc;
    const a = this.act;
    const input = this.blockInput(enc, l.ffnNorm, n);
    if (!l.gate) {
      this.matmul(enc, l.up, input, a.u, n);
      if (l.upB) this.k.add(enc, a.u, l.upB, n * d.nFf, { period: d.nFf });
      this.k.gelu(enc, a.u, n * d.nFf);
      this.qSrc = undefined;
      this.matmul(enc, l.down, a.u, a.o, n);
      if (l.downB) this.k.add(enc, a.o, l.downB, n * d.nEmbd, { period: d.nEmbd });
      return;
    }
    this.matmul(enc, l.gate, input, a.g, n);
    this.matmul(enc, l.up, input, a.u, n);
    if (d.ffnAct === 'gelu') this.k.geglu(enc, a.g, a.u, n * d.nFf);
    else this.k.swiglu(enc, a.g, a.u, n * d.nFf);
    this.qSrc = undefined;
    this.matmul(enc, l.down, a.g, a.o, n);
  }

  /** Frees every GPU buffer (the device stays). */
  dispose(): void {
    this.k.dispose();
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
    this.weights?.destroy();
    this.rope?.destroy();
  }
}

function missing(name: string): never {
  throw new WasmChordError('bad_gguf', `missing weight ${name}`);
}
