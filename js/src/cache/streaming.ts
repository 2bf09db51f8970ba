// The seam between URL readers and the IndexedDB cache: a ModelCache that opens URL parts itself
// (chunked read from storage, write-through download). No imports, so sources.ts can use it freely.
import type { WholeBody } from '../gguf/header.js';
import type { OpenedPart } from '../sources.js';
import type { ModelCache } from '../types.js';

export interface StreamingModelCache extends ModelCache {
  /** `first`: the whole file's response already in hand, partly read (a server answered the header
   *  request in full, ignoring Range); a cache that has no use for it cancels it. */
  openUrl(url: URL, fetchInit: RequestInit | undefined, signal?: AbortSignal, first?: WholeBody): Promise<OpenedPart>;
  /** Whether openUrl would take the URL's bytes from the cache, not the network (a complete entry,
   *  or an offline-only policy). */
  local?(url: URL): Promise<boolean>;
}

export function isStreamingCache(c: unknown): c is StreamingModelCache {
  return typeof c === 'object' && c !== null && typeof (c as StreamingModelCache).openUrl === 'function';
}
