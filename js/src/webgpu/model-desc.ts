// The C++ model description as the GPU forward pass reads it (bindings: Model.describe, a mirror of
// runtime/model.h's ModelDesc / ModelWeights): one source of truth for architecture differences, so
// nothing here re-reads GGUF keys. Weights are views into the loaded file's bytes in the wasm heap.
import type { ModelFileInfo } from '../types.js';
import type { RawModel } from '../wasm.js';

/** Per-layer differences (runtime/model.h LayerDesc). */
export interface LayerDescJs {
  nSwa: number; // attention window in positions; 0 = the whole context
  useRope: boolean; // false: NoPE layer
  ropeBase: number;
  ropeFreqScale: number; // positions multiplied by this (1 / linear factor)
}

/** The fields Model.describe has in common with Model.info: declared once, in ModelFileInfo. */
type SharedDescKeys = 'arch' | 'nVocab' | 'nEmbd' | 'nLayer' | 'nHead' | 'nHeadKv' | 'headDim' | 'nFf' | 'nCtxTrain' | 'tiedEmbeddings';

/** runtime/model.h ModelDesc, camelCased (see the C++ field comments). */
export interface ModelDescJs extends Pick<ModelFileInfo, SharedDescKeys> {
  normEps: number;
  norm: 'rms' | 'layer';
  encoder: boolean;
  causal: boolean;
  nRot: number;
  ropeNeox: boolean;
  ropeAttnFactor: number;
  nCtxOrig: number;
  qkvBias: boolean;
  qkNorm: boolean;
  qkNormFull: boolean;
  preNorms: boolean;
  postNorms: boolean;
  fusedFfn: boolean;
  gatedFfn: boolean;
  ffnAct: 'silu' | 'gelu';
  embdScale: number;
  residualScale: number;
  kqScale: number;
  scaleQ: boolean;
  attnSoftcap: number;
  finalSoftcap: number;
  logitScale: number;
  layers: LayerDescJs[]; // (n_layer)
}

/** One weight (kernels::Matrix): `rows` rows of `cols` elements of GGUF type `type`, `bytes` bytes
 *  at byte offset `ptr` of the wasm heap. */
export interface WeightView {
  type: number;
  rows: number;
  cols: number;
  ptr: number;
  bytes: number;
}

/** runtime/model.h LayerWeights; only the weights the file has are present. */
export interface LayerWeightViews {
  attnNorm?: WeightView;
  wqkv?: WeightView;
  wq?: WeightView;
  wk?: WeightView;
  wv?: WeightView;
  wo?: WeightView;
  bo?: WeightView;
  bqkv?: WeightView;
  bq?: WeightView;
  bk?: WeightView;
  bv?: WeightView;
  qNorm?: WeightView;
  kNorm?: WeightView;
  attnPostNorm?: WeightView;
  attnOutNorm?: WeightView;
  attnOutNormB?: WeightView;
  ffnNorm?: WeightView;
  ffnGate?: WeightView;
  ffnUp?: WeightView;
  ffnDown?: WeightView;
  ffnUpB?: WeightView;
  ffnDownB?: WeightView;
  ffnPostNorm?: WeightView;
  layerOutNorm?: WeightView;
  layerOutNormB?: WeightView;
}

/** runtime/model.h ModelWeights; ropeFactors: the divisors a context of the asked length uses
 *  (rope_freqs, or LongRoPE's long or short factors), as runtime/model.h rope_factors picks them. */
export interface ModelWeightViews {
  tokenEmbd: WeightView;
  tokenTypes?: WeightView;
  embdNorm?: WeightView;
  embdNormB?: WeightView;
  outputNorm?: WeightView;
  output?: WeightView;
  ropeFactors?: WeightView;
  positionEmbd?: WeightView;
  layers: LayerWeightViews[];
}

/** What the GPU model is built from: the description, the weight views, and their bytes. */
export interface ModelSpec {
  desc: ModelDescJs;
  weights: ModelWeightViews;
  /** The bytes of a weight view (a view of the heap: valid until the heap grows). */
  bytes(w: WeightView): Uint8Array;
}

/** The spec of a loaded model for a context of nCtx positions; heap: the module's HEAPU8. */
export function modelSpec(model: RawModel, heap: () => Uint8Array, nCtx: number): ModelSpec {
  const { desc, weights } = model.describe(nCtx);
  return { desc, weights, bytes: (w) => heap().subarray(w.ptr, w.ptr + w.bytes) };
}
