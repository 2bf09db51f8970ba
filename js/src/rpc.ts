// Messages between the main thread (WorkerBackend) and the inference Worker (worker.ts).
// Everything here must survive structured cloning.
import type { ChatRenderRequest, EngineEvent, PromptInput } from './engine.js';
import type { SerializedError } from './errors.js';
import type { GgufValue, ModelInfo, ProgressEvent } from './types.js';
import type { GenerationRecord } from './options.js';
import type { EmbedRequest } from './embeddings.js';

export type WireSource = string | Blob | ArrayBuffer | ArrayBufferView;

export interface WireLoadOptions {
  threads: 'auto' | number | undefined;
  simd: 'auto' | 'relaxed' | 'simd128' | undefined;
  memory64: 'auto' | boolean | undefined;
  contextLength: number | undefined;
  batchSize: number | undefined;
  backend: 'auto' | 'cpu' | 'webgpu' | undefined;
  wasmBaseUrl: string | undefined;
  fetchInit: RequestInit | undefined;
  /** The main thread holds a ModelCache: ask it (cache-get / cache-put). `policy`: use the
   *  IndexedDB cache from inside the worker instead (cache/), with `chunkBytes` per record. */
  cache: { get: boolean; put: boolean; policy?: 'auto' | 'only'; chunkBytes?: number };
}

export type CallMethod = 'tokenize' | 'detokenize' | 'tokenBytes' | 'metadataValue' | 'renderChat';

export type ToWorker =
  | { op: 'load'; id: number; sources: WireSource[]; options: WireLoadOptions }
  | { op: 'call'; id: number; method: CallMethod; args: unknown[] }
  | { op: 'generate'; id: number; prompt: PromptInput; options: GenerationRecord }
  | { op: 'embed'; id: number; request: EmbedRequest }
  | { op: 'abort'; id: number }
  | { op: 'cache-reply'; id: number; blob: Blob | undefined }
  | { op: 'dispose'; id: number };

export type FromWorker =
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'loaded'; id: number; info: ModelInfo; metadata: Record<string, GgufValue> }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'event'; id: number; event: EngineEvent }
  | { type: 'cache-get'; id: number; key: string }
  | { type: 'cache-put'; key: string; blob: Blob }
  | { type: 'cache-error'; id: number; error: SerializedError };

export type { ChatRenderRequest };

/** fetch() options that survive postMessage: headers as a plain record, no signal. */
export function wireFetchInit(init: RequestInit | undefined): RequestInit | undefined {
  if (!init) return undefined;
  const { signal: _signal, headers, ...rest } = init;
  void _signal;
  return headers === undefined ? rest : { ...rest, headers: Object.fromEntries(new Headers(headers).entries()) };
}
