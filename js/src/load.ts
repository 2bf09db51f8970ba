// loadModel for every environment: checks the options, resolves an hf: source to its hub URLs,
// then loads in the calling thread (an Engine behind a LocalBackend) or starts a worker and proxies
// to it (a WorkerBackend). What differs between the browser and Node is a small Platform record
// (browser.ts and node.ts fill it in).
import { idbHubMemo } from './cache/hub-memo.js';
import { checkCacheOptions, resolveCache } from './cache/index.js';
import { Engine } from './engine.js';
import { WasmChordError } from './errors.js';
import { HF_TOKEN_HINT, hubHeaders, hubMemoKey, isHfSource, isHubMemo, resolveHf, type HubResolution } from './hub.js';
import { LocalBackend } from './local-backend.js';
import { Model } from './model.js';
import { resolveConfig, type ResolvedConfig } from './probe.js';
import { wireFetchInit, type WireSource } from './rpc.js';
import type { LoadOptions, ModelSource } from './types.js';
import { WorkerBackend, type ClientPort } from './worker-backend.js';
import type { ServerPlatform } from './worker-serve.js';

type SourceItem = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/** What loadModel needs from its environment; the worker side gets the ServerPlatform part. */
export interface Platform extends ServerPlatform {
  /** The cache policy when `cache` is not given (browser 'auto', Node 'none'). */
  defaultCache: 'auto' | 'none';
  /** Called for cache failures when `onCacheError` is not given. */
  defaultOnCacheError?: (e: Error) => void;
  /** Whether this load runs in a worker, given `options.worker`. */
  useWorker(option: boolean | undefined): boolean;
  /** One source as it crosses to the worker (absolute URLs, paths); throws invalid_argument. */
  wireSource(s: SourceItem, index: number): WireSource;
  /** wasmBaseUrl as the worker must see it (absolute). */
  wireBaseUrl(base: string | URL): string;
  /** Starts an inference worker (browser.ts: worker.js; node.ts: node-worker.js). */
  startWorker(): ClientPort;
  /** hfToken / hfEndpoint when the options give none (Node: HF_TOKEN, HF_ENDPOINT). */
  hubDefaults(): { token?: string; endpoint?: string };
}

/** Loads a model with `platform`: in this thread, or in a worker it starts. */
export async function loadOn(platform: Platform, source: ModelSource, options: LoadOptions): Promise<Model> {
  const cfg = resolveConfig(options, platform.capabilities()); // fails early: bad options, no SIMD
  checkCacheOptions(options.cache, options.cacheChunkBytes);
  if (Array.isArray(source) && source.some(isHfSource))
    throw new WasmChordError('invalid_argument', 'an hf: source names a whole model: give it alone, not in an array');
  if (!isHfSource(source)) return loadResolved(platform, source, options, cfg);
  const dflt = platform.hubDefaults();
  const token = options.hfToken ?? dflt.token;
  const endpoint = options.hfEndpoint ?? dflt.endpoint;
  const key = hubMemoKey(source, endpoint);
  // Where resolutions are remembered: a cache that does it itself (fileCache), else beside the
  // IndexedDB cache when that is in use.
  const policy = options.cache ?? platform.defaultCache;
  const memo = isHubMemo(policy) ? policy : policy === 'auto' || policy === 'only' ? idbHubMemo() : undefined;
  let hub: HubResolution | undefined;
  if (policy === 'only' && memo) {
    // Offline by request: the last resolution, its files all cached, or nothing.
    hub = await memo.recallHub(key).catch(() => undefined);
    if (!hub) throw new WasmChordError('not_found', `${source} is not in the model cache (cache: 'only')`);
  } else {
    try {
      hub = await resolveHf(source, { endpoint, token, fetchInit: options.fetchInit, signal: options.signal });
      await memo?.rememberHub(key, hub).catch(() => {});
    } catch (e) {
      // The hub unreachable (or failing): the files of the last resolution, when all are cached.
      const last = e instanceof WasmChordError && e.code === 'io_error' ? await memo?.recallHub(key).catch(() => undefined) : undefined;
      if (!last) throw e;
      hub = last;
    }
  }
  // The token goes with the file requests too (only those: an hf: source is never mixed with others).
  const fetchInit = { ...options.fetchInit, headers: hubHeaders(options.fetchInit?.headers, token) };
  try {
    return await loadResolved(platform, hub.urls, { ...options, fetchInit }, cfg);
  } catch (e) {
    if (e instanceof WasmChordError && e.code === 'unauthorized') {
      const hint = token ? 'the token was refused (a gated repo also needs its conditions accepted on the hub)' : HF_TOKEN_HINT;
      throw new WasmChordError('unauthorized', `${source} (${hub.file}): ${e.message}; ${hint}`, { cause: e });
    }
    throw e;
  }
}

async function loadResolved(platform: Platform, source: ModelSource, options: LoadOptions, cfg: ResolvedConfig): Promise<Model> {
  const onCacheError = options.onCacheError ?? platform.defaultOnCacheError;
  if (!platform.useWorker(options.worker)) {
    const cache = resolveCache(options.cache, platform.defaultCache, { chunkBytes: options.cacheChunkBytes, onError: onCacheError });
    const readers = platform.readers(source, options.fetchInit, cache);
    const engine = await Engine.load(
      readers,
      { ...cfg, cache, signal: options.signal, onProgress: options.onProgress },
      platform.env(options.wasmBaseUrl === undefined ? undefined : String(options.wasmBaseUrl)),
    );
    return new Model(new LocalBackend(engine));
  }
  // The IndexedDB cache ('auto'/'only') runs where the bytes arrive: in the worker. A ModelCache
  // object stays here and the worker asks it over messages.
  const list = (Array.isArray(source) ? source : [source]) as SourceItem[];
  const sources = list.map((s, i) => platform.wireSource(s, i));
  const policy = options.cache ?? platform.defaultCache;
  const cache = typeof policy === 'object' ? policy : undefined;
  const backend = await WorkerBackend.load(
    platform.startWorker(),
    sources,
    {
      threads: options.threads,
      simd: options.simd,
      memory64: options.memory64,
      contextLength: options.contextLength,
      batchSize: options.batchSize,
      backend: options.backend,
      wasmBaseUrl: options.wasmBaseUrl === undefined ? undefined : platform.wireBaseUrl(options.wasmBaseUrl),
      fetchInit: wireFetchInit(options.fetchInit),
      cache: {
        get: !!cache,
        put: !!(cache && cache.put),
        policy: policy === 'auto' || policy === 'only' ? policy : undefined,
        chunkBytes: options.cacheChunkBytes,
      },
    },
    cache,
    options.onProgress,
    options.signal,
    onCacheError,
  );
  return new Model(backend);
}
