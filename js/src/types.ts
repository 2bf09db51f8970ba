// Public option and result types shared by the Node and browser entries.

/** A model to load: URL, File/Blob, bytes, (Node only) a filesystem path, or a Hugging Face hub
 *  name: 'hf:owner/repo[:QUANT]' or 'hf:owner/repo/path/file.gguf' (alone, not in an array). An
 *  array is the parts of a split GGUF (name-00001-of-0000N.gguf …), in order. A URL or path naming
 *  part 1 of a split model loads every part automatically. */
export type ModelSource =
  string | URL | Blob | ArrayBuffer | ArrayBufferView | ReadonlyArray<string | URL | Blob | ArrayBuffer | ArrayBufferView>;

export interface ProgressEvent {
  phase: 'download' | 'cache' | 'load';
  /** Bytes so far (download/cache), or steps done (load). */
  loaded: number;
  /** Total bytes, or undefined while the size is unknown. */
  total: number | undefined;
}

/** A byte cache for downloaded models (the browser's IndexedDB cache plugs in here). */
export interface ModelCache {
  /** The cached bytes for `key` (a URL), or undefined. */
  get(key: string): Promise<Blob | undefined>;
  /** Stores a complete download. Called after the bytes were loaded; failures are ignored. */
  put?(key: string, data: Blob): Promise<void>;
}

/** How loadModel uses the browser's IndexedDB model cache for URL sources: 'auto' reads a cached
 *  copy and caches downloads as they stream; 'none' bypasses it; 'only' loads from it or fails
 *  (offline). */
export type CachePolicy = 'auto' | 'none' | 'only';

export interface LoadOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Kernel threads. 'auto' uses the machine's cores (capped at 8) when threads are available
   *  (Node, or a cross-origin isolated page); a number > 1 needs the pthreads build. */
  threads?: 'auto' | number;
  /** Which kernels: 'auto' (default) takes the relaxed-SIMD build where the engine validates relaxed
   *  SIMD, else the SIMD128 one; 'relaxed' fails early without it; 'simd128' always works. */
  simd?: 'auto' | 'relaxed' | 'simd128';
  /** The Memory64 (wasm64) build, chord-m64, for models past wasm32's 4 GiB heap: 'auto' (default)
   *  takes it when the model, or its KV cache and scratch beside it, do not fit a wasm32 heap and
   *  the engine runs it (Memory64, relaxed SIMD and threads: Chrome >= 133 on a cross-origin
   *  isolated page, Firefox >= 146, Node >= 24); true always (fails early where it cannot run);
   *  false never (such a model then fails early with its sizes). */
  memory64?: 'auto' | boolean;
  /** KV cache length in tokens; default min(training context, 4096). */
  contextLength?: number;
  /** Prompt tokens evaluated per forward batch (default 64). */
  batchSize?: number;
  /** Where the forward pass runs: 'cpu' (the wasm kernels), 'webgpu' (WGSL kernels on the GPU:
   *  navigator.gpu, in Node the optional 'webgpu' package; every decoder architecture the CPU
   *  runs, encoders are 'unsupported'; weights F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
   *  Q5_K, Q6_K, IQ4_NL, IQ4_XS kept in their formats, every other type the CPU runs dequantized
   *  to f16 at upload with a warning (ModelInfo.gpu.dequantized)) or 'auto' (default): the CPU
   *  until GPU measurements show WebGPU faster. Sampling stays in wasm. */
  backend?: 'auto' | 'cpu' | 'webgpu';
  /** Where the wasm files are (default: the package's own dist/wasm/). */
  wasmBaseUrl?: string | URL;
  /** Cache for URL sources: a CachePolicy (browser default 'auto': the IndexedDB cache), a
   *  ModelCache of your own, or false / 'none' (Node default). */
  cache?: ModelCache | CachePolicy | false;
  /** Bytes per IndexedDB chunk record (default 8 MiB). */
  cacheChunkBytes?: number;
  /** A cache failure that did not stop the load (e.g. code 'quota_exceeded': the model loaded but
   *  was not cached; nothing partial is left reported as cached). Default: console.warn. */
  onCacheError?: (error: Error) => void;
  /** fetch() init for URL sources (headers, credentials…). */
  fetchInit?: RequestInit;
  /** hf: sources: a token sent as `Authorization: Bearer …` to the hub (private and gated repos).
   *  Node default: the HF_TOKEN environment variable. */
  hfToken?: string;
  /** hf: sources: the hub's base URL (a mirror). Default https://huggingface.co; in Node the
   *  HF_ENDPOINT environment variable when set. */
  hfEndpoint?: string | URL;
  /** Run inference in a worker: browser default true (a module Worker); Node default false
   *  (in-process), true runs it in a worker_threads thread. */
  worker?: boolean;
}

/** What the GGUF file says about the model (as the wasm module reports it). */
export interface ModelFileInfo {
  arch: string;
  name: string;
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  nCtxTrain: number;
  ropeBase: number;
  tiedEmbeddings: boolean;
  fileBytes: number;
  ggufVersion: number;
  tensorCount: number;
  parameterCount: number;
}

export interface ModelInfo extends ModelFileInfo {
  /** KV cache length of this model's context. */
  contextLength: number;
  /** Threads the kernels use (1 = single-thread build). */
  threads: number;
  /** Which wasm build runs the model. */
  wasm: 'st' | 'mt';
  /** Which kernels it runs: 'relaxed' (relaxed-SIMD int8 dot products) or 'simd128'. */
  simd: 'relaxed' | 'simd128';
  /** The Memory64 build (chord-m64: wasm64, pthreads, relaxed SIMD) runs the model. */
  memory64: boolean;
  /** Bytes of KV cache and scratch in the wasm heap; on the WebGPU backend the GPU's KV cache
   *  (the heap then holds neither). */
  contextBytes: number;
  /** Where the forward pass runs. */
  backend: 'cpu' | 'webgpu';
  /** The WebGPU adapter (backend 'webgpu'). */
  gpu?: GpuAdapterReport;
  chatTemplate: string | null;
  bosToken: number;
  eosToken: number;
  tokenizer: string;
}

/** A GGUF array too long to copy eagerly; get it with model.metadataValue(key). */
export interface GgufArraySummary {
  type: 'array';
  elementType: string;
  length: number;
}

export type GgufValue = number | bigint | boolean | string | GgufValue[] | GgufArraySummary;

export interface SamplingOptions {
  /** 0 picks the most likely token (greedy). Default 0.8. */
  temperature?: number;
  /** 0 disables. Default 40. */
  topK?: number;
  /** 1 disables. Default 0.95. */
  topP?: number;
  /** 0 disables. Default 0.05. */
  minP?: number;
  /** 1 disables (llama.cpp's repeat penalty). Default 1. */
  repeatPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Tokens the penalties look back over; -1 = whole context. Default 64. */
  penaltyLastN?: number;
  /** Same seed, same prompt, same options -> same tokens (on every platform). Default (or -1): random. */
  seed?: number | bigint;
  /** Added to token logits; -Infinity bans a token. */
  logitBias?: Record<number, number> | ReadonlyArray<readonly [number, number]>;
}

export interface GenerateOptions extends SamplingOptions {
  /** Report each sampled token's log-probability (chunk.logprobs, result.logprobs). */
  logprobs?: boolean;
  /** And this many most likely tokens at each step (0..100; implies logprobs). */
  topLogprobs?: number;
  /** Default 256. */
  maxTokens?: number;
  /** Generation ends before any of these strings; they are not returned. */
  stop?: string | readonly string[];
  /** Keep going past end-of-generation tokens. */
  ignoreEos?: boolean;
  /** When the context fills up, shift it as llama.cpp does instead of finishing with 'length':
   *  keep the first `nKeep` tokens (plus BOS; -1 = the whole prompt), drop the next `nDiscard`
   *  (default half of the rest) and go on; `maxTokens` still bounds the output. Default false.
   *  Not available for models with sliding-window layers (Gemma 2/3, Phi-3 windows): unsupported. */
  contextShift?: boolean;
  /** Tokens after BOS kept by a context shift; -1 = the whole prompt. Default 0. */
  nKeep?: number;
  /** Tokens dropped by each context shift; 0 = half of those after the kept ones. Default 0. */
  nDiscard?: number;
  /** A GBNF grammar (llama.cpp's syntax) the output must match; it may end only where the grammar can. */
  grammar?: string;
  /** A JSON Schema (object or its JSON text) the output must match, converted to a grammar as
   *  llama.cpp does. Not together with `grammar`. */
  jsonSchema?: Record<string, unknown> | boolean | string;
  /** Add BOS/EOS as the model's metadata says (text prompts only). Default true. */
  addSpecial?: boolean;
  /** Turn special-token text (e.g. "<|im_start|>", "<s>") into those tokens, so a hand-written
   *  chat prompt works. Default true, as in llama.cpp's server and Hugging Face tokenizers; pass
   *  false for untrusted text (it cannot then forge control tokens). Text prompts only. */
  parseSpecial?: boolean;
  signal?: AbortSignal;
}

export interface GenerateChunk {
  /** Text released by this step: complete UTF-8, never part of a stop string. May be ''. */
  text: string;
  /** The sampled token (for a final flush, the token that ended generation). */
  token: number;
  /** With the logprobs option. */
  logprobs?: StepLogprobs;
}

/** A token and its log-probability under the model's distribution (the softmax of its logits,
 *  before bias, penalties, truncation and temperature: what llama.cpp's server reports). */
export interface TokenLogprob {
  token: number;
  /** The token's text (special tokens by name); may be part of a UTF-8 character, see bytes. */
  text: string;
  bytes: number[];
  logprob: number;
}

export interface StepLogprobs {
  /** The sampled token. */
  sampled: TokenLogprob;
  /** The topLogprobs most likely tokens, best first. */
  top: TokenLogprob[];
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens whose KV cache entries were reused from the previous request. */
  cachedTokens: number;
}

export interface GenerateResult {
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  usage: Usage;
  /** Milliseconds spent on the prompt (until the first sampled token) and in total; the prompt
   *  was evaluated in `promptBatches` forward passes of up to `batchSize` tokens; `contextShifts`
   *  counts the context shifts made (the contextShift option). */
  timings: { promptMs: number; totalMs: number; promptBatches: number; contextShifts: number };
  /** With the logprobs option: one entry per generated token. */
  logprobs?: StepLogprobs[];
}

export interface TokenizeOptions {
  /** Add BOS/EOS as the model says. Default true. */
  addSpecial?: boolean;
  /** Parse special-token text into special tokens. Default true (false for untrusted text). */
  parseSpecial?: boolean;
}

export interface DetokenizeOptions {
  /** Render control tokens (e.g. "<s>") as text. Default false. */
  special?: boolean;
}

export interface Capabilities {
  simd: boolean;
  /** Relaxed SIMD validates (the faster kernels of chord-relaxed*.wasm). */
  relaxedSimd: boolean;
  /** Memory64 validates (chord-m64.wasm, for models past 4 GiB; it also needs relaxedSimd and threads). */
  memory64: boolean;
  threads: boolean;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
}

/** What the GPU backend learned about its adapter (ModelInfo.gpu reports it). */
export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Where the device came from: 'navigator.gpu', 'dawn' (Node, default backend) or 'dawn-gles'. */
  source: 'navigator.gpu' | 'dawn' | 'dawn-gles';
  /** A fallback adapter or a known software rasteriser (SwiftShader, llvmpipe): correct, slow. */
  software: boolean;
  /** WGSL `dot4I8Packed` (language feature packed_4x8_integer_dot_product). */
  packedDot: boolean;
  /** The device has `shader-f16` (requested; no kernel uses it yet). */
  shaderF16: boolean;
  /** The device has `subgroups`: the matmul reductions use subgroupAdd. */
  subgroups: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /** Weights of types without a WGSL decoder, dequantized to f16 at upload (one row per file type;
   *  absent when there were none). */
  dequantized?: DequantizedTypeReport[];
}

/** The tensors of one file type the GPU backend expanded to f16 at upload. */
export interface DequantizedTypeReport {
  /** The file's type, as llama.cpp names it ('q3_K', 'iq2_xs', …). */
  type: string;
  tensors: number;
  /** Their bytes in the file, and as f16 on the GPU. */
  fileBytes: number;
  gpuBytes: number;
}
