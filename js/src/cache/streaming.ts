// The seam between URL readers and the IndexedDB cache: a ModelCache that opens URL parts itself
// (chunked read from storage, write-through download). No imports, so sources.ts can use it freely.
import type { OpenedPart } from '../sources.js';
import type { ModelCache } from '../types.js';

export interface StreamingModelCache extends ModelCache {
  openUrl(url: URL, fetchInit: RequestInit | undefined, signal?: AbortSignal): Promise<OpenedPart>;
}

export function isStreamingCache(c: unknown): c is StreamingModelCache {
  return typeof c === 'object' && c !== null && typeof (c as StreamingModelCache).openUrl === 'function';
}
