// The inference side of a worker (browser Worker or Node worker_threads): owns one Engine and
// answers WorkerBackend's messages. Generations and embeddings run one after another; each
// generation streams its events.
import { Engine, type ChatRenderRequest, type EngineEnv, type PromptInput } from './engine.js';
import { resolveCache } from './cache/index.js';
import { WasmChordError, serializeError } from './errors.js';
import { FifoLock } from './lock.js';
import { resolveConfig } from './probe.js';
import type { CallMethod, FromWorker, ToWorker, WireLoadOptions, WireSource } from './rpc.js';
import type { PartReader } from './sources.js';
import type { Capabilities, ModelCache, ModelSource } from './types.js';
import type { GenerationRecord } from './options.js';
import type { EmbedRequest } from './embeddings.js';

export interface ServerPort {
  post(msg: FromWorker): void;
  onMessage(fn: (msg: ToWorker) => void): void;
}

export interface ServerPlatform {
  env(wasmBaseUrl: string | undefined): EngineEnv;
  readers(source: ModelSource, fetchInit: RequestInit | undefined, cache: ModelCache | false): PartReader[];
  capabilities(): Capabilities;
}

export function serveWorker(port: ServerPort, platform: ServerPlatform): void {
  let engine: Engine | undefined;
  const turns = new FifoLock(); // generations and disposal, in arrival order
  const aborts = new Map<number, AbortController>();
  const cacheWaiters = new Map<number, (b: Blob | undefined) => void>();
  let nextCacheId = -1; // negative ids: requests that start on this side

  const fail = (id: number, e: unknown) => port.post({ type: 'error', id, error: serializeError(e) });

  /** A ModelCache whose storage lives on the other side. */
  function cacheProxy(id: number, o: WireLoadOptions['cache']): ModelCache | false {
    if (o.policy) {
      return resolveCache(o.policy, 'none', {
        chunkBytes: o.chunkBytes,
        onError: (e) => port.post({ type: 'cache-error', id, error: serializeError(e) }),
      });
    }
    if (!o.get && !o.put) return false;
    return {
      get: (key) => {
        if (!o.get) return Promise.resolve(undefined);
        const id = nextCacheId--;
        return new Promise((resolve) => {
          cacheWaiters.set(id, resolve);
          port.post({ type: 'cache-get', id, key });
        });
      },
      put: o.put ? async (key, blob) => port.post({ type: 'cache-put', key, blob }) : undefined,
    };
  }

  async function load(id: number, sources: WireSource[], o: WireLoadOptions): Promise<void> {
    const ctl = new AbortController();
    aborts.set(id, ctl);
    try {
      if (engine) throw new WasmChordError('invalid_argument', 'this worker already holds a model');
      const cfg = resolveConfig(
        {
          threads: o.threads,
          simd: o.simd,
          memory64: o.memory64,
          contextLength: o.contextLength,
          batchSize: o.batchSize,
          backend: o.backend,
        },
        platform.capabilities(),
      );
      const cache = cacheProxy(id, o.cache);
      const readers = platform.readers(sources.length === 1 ? sources[0]! : sources, o.fetchInit, cache);
      engine = await Engine.load(
        readers,
        {
          ...cfg,
          cache,
          signal: ctl.signal,
          onProgress: (event) => port.post({ type: 'progress', id, event }),
        },
        platform.env(o.wasmBaseUrl),
      );
      port.post({ type: 'loaded', id, info: engine.info, metadata: engine.metadata });
    } catch (e) {
      fail(id, e);
    } finally {
      aborts.delete(id);
    }
  }

  function call(id: number, method: CallMethod, args: unknown[]): void {
    try {
      if (!engine) throw new WasmChordError('invalid_argument', 'no model is loaded');
      const e = engine;
      let value: unknown;
      switch (method) {
        case 'tokenize':
          value = e.tokenize(args[0] as string, args[1] as object);
          break;
        case 'detokenize':
          value = e.detokenize(args[0] as number[], args[1] as object);
          break;
        case 'tokenBytes':
          value = e.tokenBytes(args[0] as number);
          break;
        case 'metadataValue':
          value = e.metadataValue(args[0] as string);
          break;
        case 'renderChat':
          value = e.renderChat(args[0] as ChatRenderRequest);
          break;
        default:
          throw new WasmChordError('invalid_argument', `unknown method ${String(method)}`);
      }
      port.post({ type: 'result', id, value });
    } catch (e) {
      fail(id, e);
    }
  }

  function generate(id: number, prompt: PromptInput, options: GenerationRecord): void {
    const ctl = new AbortController();
    aborts.set(id, ctl);
    turns
      .run(async () => {
        if (!engine) throw new WasmChordError('invalid_argument', 'no model is loaded');
        for await (const event of engine.generate(prompt, options, ctl.signal)) port.post({ type: 'event', id, event });
        port.post({ type: 'result', id, value: null });
      }, ctl.signal)
      .catch((e: unknown) => fail(id, e))
      .finally(() => aborts.delete(id));
  }

  function embed(id: number, request: EmbedRequest): void {
    const ctl = new AbortController();
    aborts.set(id, ctl);
    turns
      .run(async () => {
        if (!engine) throw new WasmChordError('invalid_argument', 'no model is loaded');
        port.post({ type: 'result', id, value: await engine.embed(request, ctl.signal) });
      }, ctl.signal)
      .catch((e: unknown) => fail(id, e))
      .finally(() => aborts.delete(id));
  }

  port.onMessage((m) => {
    switch (m.op) {
      case 'load':
        void load(m.id, m.sources, m.options);
        break;
      case 'call':
        call(m.id, m.method, m.args);
        break;
      case 'generate':
        generate(m.id, m.prompt, m.options);
        break;
      case 'embed':
        embed(m.id, m.request);
        break;
      case 'abort':
        aborts.get(m.id)?.abort();
        break;
      case 'cache-reply': {
        const w = cacheWaiters.get(m.id);
        cacheWaiters.delete(m.id);
        w?.(m.blob);
        break;
      }
      case 'dispose': {
        const id = m.id;
        turns
          .run(async () => {
            await engine?.dispose();
            engine = undefined;
            port.post({ type: 'result', id, value: null });
          })
          .catch((e: unknown) => fail(id, e));
        break;
      }
    }
  });
}
