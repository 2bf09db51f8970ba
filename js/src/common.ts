// Exports shared by every entry point (errors, types, the Model class, probes).
export { WasmChordError, AbortError, isAbortError } from './errors.js';
export type { ChordErrorCode } from './errors.js';
export { Model } from './model.js';
export type { GenerationStream } from './model.js';
export { DEFAULT_CHAT_TEMPLATE } from './engine.js';
export { capabilities } from './probe.js';
export { cache, DEFAULT_CACHE_CHUNK_BYTES } from './cache/index.js';
export type { CacheEntry, CacheUsage } from './cache/index.js';
export type * from './types.js';
export type * from './chat-types.js';
export type * from './embeddings.js';
