// The raw Embind surface of dist/wasm/chord*.js (bindings/register.cpp) and how an instance is
// made from an Emscripten MODULARIZE factory and a compiled WebAssembly.Module.
import type { RawResult } from './errors.js';
import type { ModelFileInfo } from './types.js';
import type { ModelDescJs, ModelWeightViews } from './webgpu/model-desc.js';
import type { RopeAngleArgs } from './webgpu/rope-table.js';

/** Which wasm build: single-thread SIMD or pthreads SIMD (needs SharedArrayBuffer). */
export type Flavor = 'st' | 'mt';

/** Which kernels: relaxed SIMD (int8 dot products; Chrome >= 114, Firefox >= 146, Node >= 22) or
 *  SIMD128 only (every engine, Safari included). */
export type SimdLevel = 'relaxed' | 'simd128';

/** The wasm files of a build: chord[-relaxed][-mt].{js,mjs,wasm}, or chord-m64.* for the one
 *  Memory64 build (wasm64: pthreads and relaxed SIMD; the loader only picks it with both). */
export function buildName(flavor: Flavor, simd: SimdLevel, memory64 = false): string {
  if (memory64) return 'chord-m64';
  return `chord${simd === 'relaxed' ? '-relaxed' : ''}${flavor === 'mt' ? '-mt' : ''}`;
}

interface Deletable {
  delete(): void;
}

export interface RawHeapParts extends Deletable {
  add(size: number): RawResult<number>;
  view(index: number, offset: number, length: number): RawResult<Uint8Array>;
  count(): number;
  totalBytes(): number;
  clear(): void;
}

export interface RawTokenizer extends Deletable {
  encode(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  decode(ids: Int32Array | readonly number[], special: boolean): RawResult<string>;
  tokenPiece(id: number, special: boolean): RawResult<Uint8Array>;
  tokenText(id: number): RawResult<string>;
  find(text: string): number;
  vocabSize(): number;
  bos(): number;
  eos(): number;
  addBos(): boolean;
  addEos(): boolean;
  isEog(id: number): boolean;
  isControl(id: number): boolean;
  model(): string;
  pre(): string;
}

export interface RawModel extends Deletable {
  info(): ModelFileInfo;
  metadata(maxArray: number): Record<string, unknown>;
  metadataValue(key: string): RawResult<unknown>;
  chatTemplate(): string;
  tokenizer(): RawTokenizer;
  /** The forward pass's description for a context of nCtx positions (the WebGPU backend). */
  describe(nCtx: number): { desc: ModelDescJs; weights: ModelWeightViews };
}

/** A context shift recorded by an external context (runtime/context.h PendingShift): cache rows
 *  nKeep + nDiscard .. nPast - 1 move down by nDiscard, their keys re-rotated by -nDiscard. */
export interface RawShift {
  nKeep: number;
  nDiscard: number;
  nPast: number;
}

export interface RawPending {
  shifts: RawShift[];
  pos: number;
  tokens: Int32Array;
  hidden: boolean;
}

export interface RawContext extends Deletable {
  nCtx(): number;
  nPast(): number;
  commonPrefix(tokens: Int32Array | readonly number[]): number;
  truncate(n: number): void;
  history(): Int32Array;
  memoryBytes(): number;
  /** External contexts (the WebGPU backend): what was recorded since the last call — context
   *  shifts to apply to the KV cache first, in order, then tokens to evaluate at positions pos…,
   *  for their hidden states (recordHidden) or else the last one's logits. */
  takePending(): RawPending;
  /** External contexts: records `tokens` (after the cached ones) as a hidden-state request. */
  recordHidden(tokens: Int32Array | readonly number[]): RawResult<void>;
  /** The pooled embeddings of hidden states computed outside (runtime/embed.h pool_hidden):
   *  hidden (sum of lens, n_embd); pooling '' = the model's. */
  poolHidden(hidden: Float32Array, lens: readonly number[], pooling: string, normalize: boolean): RawResult<Float32Array[]>;
  /** Tokens per forward batch (the whole context for non-causal models). */
  nBatch(): number;
  /** Each sequence's pooled embedding, short ones packed several to a forward batch; pooling '' =
   *  the model's (runtime/embed.h embed_many). Clears the cache. */
  embed(sequences: ReadonlyArray<Int32Array | readonly number[]>, pooling: string, normalize: boolean): RawResult<Float32Array[]>;
}

export interface RawStep {
  token: number;
  text: string;
  done: boolean;
  finishReason: '' | 'stop' | 'length';
  /** With logprobs: the sampled token's log-probability and [id, logprob] of the top tokens. */
  logprob?: number;
  top?: Array<[number, number]>;
}

export interface RawGenerator extends Deletable {
  step(): RawResult<RawStep>;
  /** External contexts: the logits (n_vocab) of the last recorded token. */
  setLogits(logits: Float32Array): RawResult<void>;
  promptTokens(): number;
  promptBatches(): number;
  contextShifts(): number;
  cachedTokens(): number;
  completionTokens(): number;
  done(): boolean;
}

export interface RawRuntimeInfo {
  simd: boolean;
  threads: boolean;
  heapMax: number;
  heapSize: number;
  hardwareThreads: number;
  /** The kernel set compiled in: 'relaxed-simd' or 'simd128' (kernels/ops.h kernel_set). */
  kernels: string;
  /** A wasm64 (Memory64) build: heapMax may pass 4 GiB. */
  memory64: boolean;
}

export interface RawModule {
  /** The wasm heap's bytes (a new view after every heap growth). */
  HEAPU8: Uint8Array;
  HeapParts: new () => RawHeapParts;
  Model: { load(parts: RawHeapParts): RawResult<RawModel> };
  Context: {
    create(model: RawModel, nCtx: number, nBatch: number, threads: number): RawResult<RawContext>;
    /** A context whose forward pass the caller runs (the WebGPU backend). */
    createExternal(model: RawModel, nCtx: number, nBatch: number): RawResult<RawContext>;
    /** What create() checks, from the parts' headers in `headers` (taken) and the parts' sizes;
     *  external: createExternal's (no KV cache or scratch in the heap). */
    plan(
      headers: InstanceType<RawModule['HeapParts']>,
      fileSizes: number[],
      nCtx: number,
      nBatch: number,
      threads: number,
      external: boolean,
    ): RawResult<{ nCtx: number; kvBytes: number; scratchBytes: number }>;
  };
  /** optionsJson: a GenerationRecord (js/src/options.ts) as JSON. */
  Generator: { start(ctx: RawContext, tokens: Int32Array | readonly number[], optionsJson: string): RawResult<RawGenerator> };
  renderChatTemplate(
    tmpl: string,
    messagesJson: string,
    addGenerationPrompt: boolean,
    bos: string,
    eos: string,
    extraJson: string,
  ): RawResult<string>;
  runtimeInfo(): RawRuntimeInfo;
  /** The C++ reference dequantizer (bindings/reference_bindings.cpp): rows of a GGUF type as f32. */
  refDequantizeRows(type: number, bytes: Uint8Array, rows: number, cols: number): RawResult<Float32Array>;
  /** The C++ RoPE angles (reference_bindings.cpp): (positions, nRot / 2) pairs (cos, sin). */
  refRopeAngles(...args: RopeAngleArgs): RawResult<Float32Array>;
  /** Every generation option's default (runtime/options.h) as a GenerationRecord in JSON. */
  generationDefaults(): string;
  chordTerminateWorkers(): void;
  chordUnrefWorkers(): void;
}

/** An Emscripten MODULARIZE factory (ChordModule / ChordMtModule). */
export type ModuleFactory = (overrides: Record<string, unknown>) => Promise<RawModule>;

export interface InstantiateParams {
  factory: ModuleFactory;
  compiled: WebAssembly.Module;
  /** Workers to pre-spawn (pthreads build): threads - 1. */
  poolSize: number;
  /** Maps 'chord-mt.worker.js' etc. to a URL or path. */
  locateFile?: (path: string) => string;
  /** The classic (non-module) script pthread workers import (browser, pthreads build). */
  mainScriptUrlOrBlob?: string;
}

/** One independent wasm instance (its own heap): each model gets its own. */
export async function instantiate(p: InstantiateParams): Promise<RawModule> {
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const overrides: Record<string, unknown> = {
    instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      WebAssembly.instantiate(p.compiled, imports).then(
        (instance) => receive(instance, p.compiled),
        (e: unknown) => fail(e),
      );
      return {};
    },
    pthreadPoolSize: p.poolSize,
    print: () => {},
    printErr: (s: string) => {
      if (typeof console !== 'undefined') console.warn(`[wasm-chord] ${s}`);
    },
  };
  if (p.locateFile) overrides['locateFile'] = p.locateFile;
  if (p.mainScriptUrlOrBlob) overrides['mainScriptUrlOrBlob'] = p.mainScriptUrlOrBlob;
  return Promise.race([p.factory(overrides), failed]);
}
