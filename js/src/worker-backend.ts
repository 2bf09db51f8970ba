// Main-thread side of an inference worker (browser Worker or Node worker_threads): a Backend whose
// calls are messages. Errors come back serialized and are rebuilt with their type.
import type { ChatRenderRequest, ChatRenderResult, EngineEvent, PromptInput } from './engine.js';
import { AbortError, WasmChordError, abortErrorFrom, deserializeError } from './errors.js';
import type { Backend } from './model.js';
import type { CallMethod, FromWorker, ToWorker, WireLoadOptions, WireSource } from './rpc.js';
import type { DetokenizeOptions, GgufValue, ModelCache, ModelInfo, ProgressEvent, TokenizeOptions } from './types.js';
import type { GenerationRecord } from './options.js';
import type { EmbedOutput, EmbedRequest } from './embeddings.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onEvent?(e: EngineEvent): void;
  onProgress?(e: ProgressEvent): void;
  onLoaded?(info: ModelInfo, metadata: Record<string, GgufValue>): void;
  onCacheError?(e: Error): void;
}

/** A Map that reports its size after every change. */
class TrackedMap<K, V> extends Map<K, V> {
  constructor(private readonly onSize: (n: number) => void) {
    super();
  }
  override set(k: K, v: V): this {
    super.set(k, v);
    this.onSize?.(this.size);
    return this;
  }
  override delete(k: K): boolean {
    const r = super.delete(k);
    this.onSize?.(this.size);
    return r;
  }
  override clear(): void {
    super.clear();
    this.onSize?.(this.size);
  }
}

/** An async iterable fed by pushes; return() runs `onReturn` (stop the producer). */
class PushQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private waiting: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  private ended = false;
  private error: unknown;
  constructor(private readonly onReturn: () => void) {}
  push(v: T): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: v, done: false });
    } else this.items.push(v);
  }
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }
  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }
  return(): Promise<IteratorResult<T>> {
    if (!this.ended) this.onReturn();
    this.ended = true;
    this.items = [];
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The channel to the worker, whatever kind it is. */
export interface ClientPort {
  post(m: ToWorker): void;
  onMessage(fn: (m: FromWorker) => void): void;
  onError(fn: (e: Error) => void): void;
  terminate(): void;
  /** Called when calls start/stop being in flight (Node: ref/unref the thread). */
  setBusy?(busy: boolean): void;
}

/** A browser Worker as a ClientPort; `cleanup` runs after terminate. */
export function browserWorkerPort(worker: Worker, cleanup?: () => void): ClientPort {
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (fn) => worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => fn(ev.data)),
    onError: (fn) => worker.addEventListener('error', (ev: ErrorEvent) => fn(new Error(ev.message || 'the Worker script failed to load'))),
    terminate: () => {
      worker.terminate();
      cleanup?.();
    },
  };
}

/** A module Worker running `scriptUrl` from another origin (the package served by a CDN). A
 *  Worker's own script must have the page's origin, so it is a same-origin blob: module that
 *  imports the real one (a module import may cross origins where CORS allows it). */
export function crossOriginWorkerPort(scriptUrl: string): ClientPort {
  const blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(scriptUrl)};\n`], { type: 'text/javascript' }));
  let worker: Worker;
  try {
    worker = new Worker(blobUrl, { type: 'module', name: 'wasm-chord' });
  } catch (e) {
    URL.revokeObjectURL(blobUrl);
    throw e;
  }
  return browserWorkerPort(worker, () => URL.revokeObjectURL(blobUrl));
}

export class WorkerBackend implements Backend {
  info!: ModelInfo;
  metadata!: Record<string, GgufValue>;
  private nextId = 1;
  private readonly pending = new TrackedMap<number, Pending>((n) => this.port.setBusy?.(n > 0));
  private terminated = false;

  private constructor(
    private readonly port: ClientPort,
    private readonly cache: ModelCache | false | undefined,
  ) {
    port.onMessage((m) => this.onMessage(m));
    port.onError((e) => this.failAll(new WasmChordError('internal', `the inference worker failed: ${e.message}`, { cause: e })));
  }

  static async load(
    worker: ClientPort,
    sources: WireSource[],
    options: WireLoadOptions,
    cache: ModelCache | false | undefined,
    onProgress: ((e: ProgressEvent) => void) | undefined,
    signal: AbortSignal | undefined,
    onCacheError?: (e: Error) => void,
  ): Promise<WorkerBackend> {
    const b = new WorkerBackend(worker, cache);
    const id = b.nextId++;
    const onAbort = () => b.post({ op: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<unknown>((resolve, reject) => {
        b.pending.set(id, {
          resolve,
          reject,
          onProgress,
          onCacheError,
          onLoaded: (info, metadata) => {
            b.info = info;
            b.metadata = metadata;
            resolve(undefined);
          },
        });
        b.post({ op: 'load', id, sources, options });
      });
      return b;
    } catch (e) {
      b.terminate();
      throw e instanceof AbortError && signal?.aborted ? abortErrorFrom(signal) : e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private post(m: ToWorker): void {
    if (!this.terminated) this.port.post(m);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'cache-get') {
      const cache = this.cache;
      const reply = (blob: Blob | undefined) => {
        try {
          this.post({ op: 'cache-reply', id: m.id, blob });
        } catch {
          this.post({ op: 'cache-reply', id: m.id, blob: undefined }); // not cloneable: a miss, never a hang
        }
      };
      if (!cache) reply(undefined);
      else cache.get(m.key).then(reply, () => reply(undefined));
      return;
    }
    if (m.type === 'cache-put') {
      if (this.cache && this.cache.put) this.cache.put(m.key, m.blob).catch(() => {});
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'progress':
        p.onProgress?.(m.event);
        break;
      case 'cache-error':
        p.onCacheError?.(deserializeError(m.error));
        break;
      case 'event':
        p.onEvent?.(m.event);
        break;
      case 'loaded':
        this.pending.delete(m.id);
        p.onLoaded?.(m.info, m.metadata);
        break;
      case 'result':
        this.pending.delete(m.id);
        p.resolve(m.value);
        break;
      case 'error':
        this.pending.delete(m.id);
        p.reject(deserializeError(m.error));
        break;
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call<T>(method: CallMethod, ...args: unknown[]): Promise<T> {
    if (this.terminated) return Promise.reject(new WasmChordError('invalid_argument', 'the model has been disposed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ op: 'call', id, method, args });
    });
  }

  tokenize(text: string, opts: TokenizeOptions): Promise<number[]> {
    return this.call('tokenize', text, opts);
  }
  detokenize(ids: readonly number[], opts: DetokenizeOptions): Promise<string> {
    return this.call('detokenize', Array.from(ids), opts);
  }
  tokenBytes(id: number): Promise<Uint8Array> {
    return this.call('tokenBytes', id);
  }
  metadataValue(key: string): Promise<GgufValue> {
    return this.call('metadataValue', key);
  }
  renderChat(req: ChatRenderRequest): Promise<ChatRenderResult> {
    return this.call('renderChat', req);
  }

  generate(prompt: PromptInput, options: GenerationRecord, signal?: AbortSignal): AsyncIterable<EngineEvent> {
    const id = this.nextId++;
    const abort = () => this.post({ op: 'abort', id });
    const q = new PushQueue<EngineEvent>(abort);
    if (this.terminated) {
      q.end(new WasmChordError('invalid_argument', 'the model has been disposed'));
      return q;
    }
    signal?.addEventListener('abort', abort, { once: true });
    const cleanup = () => signal?.removeEventListener('abort', abort);
    this.pending.set(id, {
      onEvent: (e) => q.push(e),
      resolve: () => {
        cleanup();
        q.end();
      },
      reject: (e) => {
        cleanup();
        q.end(e);
      },
    });
    this.post({ op: 'generate', id, prompt, options });
    return q;
  }

  embed(request: EmbedRequest, signal?: AbortSignal): Promise<EmbedOutput> {
    if (this.terminated) return Promise.reject(new WasmChordError('invalid_argument', 'the model has been disposed'));
    const id = this.nextId++;
    const abort = () => this.post({ op: 'abort', id });
    signal?.addEventListener('abort', abort, { once: true });
    return new Promise<EmbedOutput>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ op: 'embed', id, request });
    }).finally(() => signal?.removeEventListener('abort', abort));
  }

  async dispose(): Promise<void> {
    if (this.terminated) return;
    const id = this.nextId++;
    await new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ op: 'dispose', id });
    }).catch(() => {});
    this.terminate();
  }

  private terminate(): void {
    this.terminated = true;
    this.port.terminate();
    this.failAll(new WasmChordError('invalid_argument', 'the model has been disposed'));
  }
}
