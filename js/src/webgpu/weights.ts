// The GPU copies of a model's weights, uploaded from the C++ weight views (model-desc.ts): matrices
// in their block formats, norm and bias vectors as f32. Fused tensors (phi3's wqkv, fused gate/up)
// are uploaded as row ranges of the same bytes (rows are contiguous), so no split kernel is needed.
import { WasmChordError } from '../errors.js';
import { destroyWeight, f32Buffer, uploadWeight, type GpuWeight } from './buffers.js';
import type { Dequantizer } from './dequant.js';
import type { LayerWeightViews, ModelSpec, WeightView } from './model-desc.js';

const F32 = 0; // GGUF type id

/** One layer's weights on the GPU (absent optional ones undefined). */
export interface GpuLayerWeights {
  attnNorm?: GPUBuffer; // (n_embd); absent without pre-norms (olmo2)
  wq: GpuWeight; // (q_dim, n_embd)
  wk: GpuWeight; // (kv_dim, n_embd)
  wv: GpuWeight; // (kv_dim, n_embd)
  wo: GpuWeight; // (n_embd, q_dim)
  bo?: GPUBuffer; // (n_embd) (encoders)
  bq?: GPUBuffer; // (q_dim)
  bk?: GPUBuffer; // (kv_dim)
  bv?: GPUBuffer; // (kv_dim)
  qNorm?: GPUBuffer; // (head_dim), or (q_dim) with qk_norm_full
  kNorm?: GPUBuffer; // (head_dim), or (kv_dim) with qk_norm_full
  attnPostNorm?: GPUBuffer; // (n_embd)
  attnOutNorm?: GPUBuffer; // (n_embd) encoders: LayerNorm of x + attention
  attnOutNormB?: GPUBuffer; // (n_embd)
  ffnNorm?: GPUBuffer; // (n_embd)
  gate?: GpuWeight; // (n_ff, n_embd); absent in an ungated FFN (bert)
  up: GpuWeight; // (n_ff, n_embd)
  down: GpuWeight; // (n_embd, n_ff)
  upB?: GPUBuffer; // (n_ff) ungated FFN biases (bert)
  downB?: GPUBuffer; // (n_embd)
  ffnPostNorm?: GPUBuffer; // (n_embd)
  layerOutNorm?: GPUBuffer; // (n_embd) encoders: LayerNorm of x + FFN
  layerOutNormB?: GPUBuffer; // (n_embd)
}

/** Uploads weight views to one device, remembering every buffer for destroy(). */
export class WeightUploader {
  private readonly matrices: GpuWeight[] = [];
  private readonly vectors: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly spec: ModelSpec,
    private readonly maxBinding: number,
    /** Expands types without a WGSL decoder to f16 (buffers.ts uploadWeight). */
    private readonly dequantize?: Dequantizer,
  ) {}

  /** Rows [row0, row0 + rows) of a matrix view (default: all of it). */
  matrix(v: WeightView | undefined, label: string, row0 = 0, rows = v?.rows ?? 0): GpuWeight {
    if (!v) throw new WasmChordError('bad_gguf', `missing weight ${label}`);
    if (row0 < 0 || rows <= 0 || row0 + rows > v.rows)
      throw new WasmChordError('bad_gguf', `${label}: rows ${row0}..${row0 + rows} of ${v.rows}`);
    const rb = v.bytes / v.rows;
    // A fresh heap view each time it is asked for (dequantizing may grow the heap).
    const bytes = () => this.spec.bytes(v).subarray(row0 * rb, (row0 + rows) * rb);
    const w = uploadWeight(this.device, v.type, rows, v.cols, bytes, this.maxBinding, label, this.dequantize);
    this.matrices.push(w);
    return w;
  }

  /** `n` f32 of a vector view from element `first` (a slice of a fused bias), or undefined. */
  vector(v: WeightView | undefined, n: number, label: string, first = 0): GPUBuffer | undefined {
    const x = this.floats(v, n, label, first);
    if (!x) return undefined;
    const b = f32Buffer(this.device, n, x, label);
    this.vectors.push(b);
    return b;
  }

  /** `n` f32 of a vector view from element `first`, copied to the host, or undefined. */
  floats(v: WeightView | undefined, n: number, label: string, first = 0): Float32Array | undefined {
    if (!v) return undefined;
    if (v.type !== F32 || first + n > v.rows * v.cols)
      throw new WasmChordError('unsupported', `${label}: the WebGPU backend wants ${n} f32 (type ${v.type}, ${v.rows * v.cols} values)`);
    const bytes = this.spec.bytes(v).slice(first * 4, (first + n) * 4); // a copy: aligned for Float32Array
    return new Float32Array(bytes.buffer);
  }

  /** One layer: fused q/k/v and gate/up split by rows; dims.gated false: an ungated FFN (up only). */
  layer(
    l: LayerWeightViews,
    i: number,
    dims: { embd: number; q: number; kv: number; ff: number; headDim: number; fullQk: boolean; gated: boolean },
  ): GpuLayerWeights {
    const p = `blk.${i}.`;
    const { q, kv, ff, embd } = dims;
    const fused = l.wqkv;
    const qn = dims.fullQk ? q : dims.headDim;
    const kn = dims.fullQk ? kv : dims.headDim;
    const out: GpuLayerWeights = {
      attnNorm: this.vector(l.attnNorm, embd, `${p}attn_norm`),
      wq: fused ? this.matrix(fused, `${p}attn_qkv[q]`, 0, q) : this.matrix(l.wq, `${p}attn_q`),
      wk: fused ? this.matrix(fused, `${p}attn_qkv[k]`, q, kv) : this.matrix(l.wk, `${p}attn_k`),
      wv: fused ? this.matrix(fused, `${p}attn_qkv[v]`, q + kv, kv) : this.matrix(l.wv, `${p}attn_v`),
      wo: this.matrix(l.wo, `${p}attn_output`),
      bo: this.vector(l.bo, embd, `${p}attn_output.bias`),
      bq: l.bqkv ? this.vector(l.bqkv, q, `${p}attn_qkv.bias[q]`) : this.vector(l.bq, q, `${p}attn_q.bias`),
      bk: l.bqkv ? this.vector(l.bqkv, kv, `${p}attn_qkv.bias[k]`, q) : this.vector(l.bk, kv, `${p}attn_k.bias`),
      bv: l.bqkv ? this.vector(l.bqkv, kv, `${p}attn_qkv.bias[v]`, q + kv) : this.vector(l.bv, kv, `${p}attn_v.bias`),
      qNorm: this.vector(l.qNorm, qn, `${p}attn_q_norm`),
      kNorm: this.vector(l.kNorm, kn, `${p}attn_k_norm`),
      attnPostNorm: this.vector(l.attnPostNorm, embd, `${p}post_attention_norm`),
      attnOutNorm: this.vector(l.attnOutNorm, embd, `${p}attn_output_norm`),
      attnOutNormB: this.vector(l.attnOutNormB, embd, `${p}attn_output_norm.bias`),
      ffnNorm: this.vector(l.ffnNorm, embd, `${p}ffn_norm`),
      // Fused: the first n_ff rows of ffn_up are the gate, the next n_ff the up projection.
      gate: !dims.gated ? undefined : l.ffnGate ? this.matrix(l.ffnGate, `${p}ffn_gate`) : this.matrix(l.ffnUp, `${p}ffn_up[gate]`, 0, ff),
      up: l.ffnGate || !dims.gated ? this.matrix(l.ffnUp, `${p}ffn_up`) : this.matrix(l.ffnUp, `${p}ffn_up[up]`, ff, ff),
      down: this.matrix(l.ffnDown, `${p}ffn_down`),
      upB: this.vector(l.ffnUpB, ff, `${p}ffn_up.bias`),
      downB: this.vector(l.ffnDownB, embd, `${p}ffn_down.bias`),
      ffnPostNorm: this.vector(l.ffnPostNorm, embd, `${p}post_ffw_norm`),
      layerOutNorm: this.vector(l.layerOutNorm, embd, `${p}layer_output_norm`),
      layerOutNormB: this.vector(l.layerOutNormB, embd, `${p}layer_output_norm.bias`),
    };
    for (const [name, w, rows, cols] of [
      ['attn_q', out.wq, q, embd],
      ['attn_k', out.wk, kv, embd],
      ['attn_v', out.wv, kv, embd],
      ['attn_output', out.wo, embd, q],
      ['ffn_gate', out.gate, ff, embd],
      ['ffn_up', out.up, ff, embd],
      ['ffn_down', out.down, embd, ff],
    ] as const)
      if (w && (w.rows !== rows || w.cols !== cols))
        throw new WasmChordError('bad_gguf', `${p}${name}: ${w.rows} x ${w.cols}, not ${rows} x ${cols}`);
    return out;
  }

  /** Frees every buffer uploaded so far. */
  destroy(): void {
    for (const w of this.matrices) destroyWeight(w);
    for (const b of this.vectors) b.destroy();
    this.matrices.length = 0;
    this.vectors.length = 0;
  }
}
