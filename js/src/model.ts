// The public Model: streaming generation, OpenAI-shaped chat completions, embeddings, tokenizer
// access and disposal, over a Backend (the in-process Engine, or a proxy to it in a Worker).
// Generations and embeddings on one model run one at a time (they share its KV cache); later
// calls wait their turn.
import type { ChatRenderRequest, ChatRenderResult, EngineEvent, PromptInput } from './engine.js';
import { AbortError, WasmChordError, abortErrorFrom, isAbortError } from './errors.js';
import { createChatCompletion, normalizeMessages, type ChatHost } from './chat.js';
import { FifoLock } from './lock.js';
import { messagesForTemplate } from './tool-calls.js';
import { toRecord } from './options.js';
import type {
  DetokenizeOptions,
  GenerateChunk,
  GenerateOptions,
  GenerateResult,
  GgufValue,
  ModelInfo,
  StepLogprobs,
  TokenizeOptions,
} from './types.js';
import type { GenerationRecord } from './options.js';
import {
  embedInputs,
  embedRequest,
  embeddingResponse,
  type CreateEmbeddingResponse,
  type EmbedOptions,
  type EmbedOutput,
  type EmbedRequest,
  type EmbeddingCreateParams,
} from './embeddings.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatMessage,
  RequestOptions,
} from './chat-types.js';

/** What a Model needs from where the wasm runs. */
export interface Backend {
  readonly info: ModelInfo;
  readonly metadata: Record<string, GgufValue>;
  tokenize(text: string, opts: TokenizeOptions): Promise<number[]>;
  detokenize(ids: readonly number[], opts: DetokenizeOptions): Promise<string>;
  tokenBytes(id: number): Promise<Uint8Array>;
  metadataValue(key: string): Promise<GgufValue>;
  renderChat(req: ChatRenderRequest): Promise<ChatRenderResult>;
  generate(prompt: PromptInput, options: GenerationRecord, signal?: AbortSignal): AsyncIterable<EngineEvent>;
  embed(req: EmbedRequest, signal?: AbortSignal): Promise<EmbedOutput>;
  dispose(): Promise<void>;
}

/** model.generate()'s result: iterate it for chunks; `result` settles when generation ends. */
export interface GenerationStream extends AsyncIterable<GenerateChunk> {
  /** The whole generation (text, tokens, finish reason, usage). Reading it does not start or
   *  consume the stream; it settles after the iteration ends (rejects if it failed). */
  readonly result: Promise<GenerateResult>;
}

/** A promise settled from outside; a rejection nobody reads is not reported as unhandled. */
function deferred<T>(): { promise: Promise<T>; settle(s: { ok: true; value: T } | { ok: false; error: unknown }): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, settle: (s) => (s.ok ? resolve(s.value) : reject(s.error)) };
}

export class Model implements AsyncDisposable {
  readonly info: ModelInfo;
  /** GGUF key/values as plain values; arrays longer than 64 are summarized
   *  ({type: 'array', elementType, length}): fetch them whole with metadataValue(key). */
  readonly metadata: Readonly<Record<string, GgufValue>>;
  readonly chat: {
    completions: {
      create(params: ChatCompletionCreateParamsStreaming, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
      create(params: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): Promise<ChatCompletion>;
      create(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
    };
  };
  /** OpenAI-shaped embeddings (what /v1/embeddings serves): see EmbeddingCreateParams. */
  readonly embeddings: {
    create(params: EmbeddingCreateParams, options?: RequestOptions): Promise<CreateEmbeddingResponse>;
  };
  private readonly lock = new FifoLock();
  private disposing: Promise<void> | undefined;
  private readonly running = new Set<AbortController>();

  constructor(private readonly backend: Backend) {
    this.info = backend.info;
    this.metadata = backend.metadata;
    const host: ChatHost = {
      info: this.info,
      renderChat: (req) => this.backend.renderChat(req),
      tokenize: (text, opts) => this.backend.tokenize(text, opts),
      stream: (prepare, signal) => this.stream(prepare, signal),
    };
    const create = (params: ChatCompletionCreateParams, options?: RequestOptions) => {
      this.checkOpen();
      return createChatCompletion(host, params, options?.signal ?? params?.signal);
    };
    this.chat = { completions: { create: create as Model['chat']['completions']['create'] } };
    this.embeddings = {
      create: async (params, options) => {
        this.checkOpen();
        if (params === null || typeof params !== 'object') throw new WasmChordError('invalid_argument', 'params must be an object');
        if (params.dimensions != null && params.dimensions !== this.info.nEmbd)
          throw new WasmChordError('unsupported', `dimensions: this model's embeddings have ${this.info.nEmbd}, got ${params.dimensions}`);
        const req = embedRequest(embedInputs(params.input), params);
        const out = await this.runEmbed(req, options?.signal ?? params.signal);
        return embeddingResponse(out, params.encoding_format, params.model ?? (this.info.name || this.info.arch));
      },
    };
  }

  /** Embeds each text on its own: its final hidden states (after the output norm) pooled to one
   *  vector of nEmbd floats, L2-normalized unless `normalize` is false. Float32Array per text, in
   *  order (Array.from() gives plain numbers; embeddings.create() returns OpenAI's shape). Runs in
   *  turn with generations and clears the KV cache, so a chat's next turn recomputes its prefix. */
  async embed(texts: string | readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    this.checkOpen();
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))
      throw new WasmChordError('invalid_argument', 'texts must be a string or an array of strings');
    if (list.length === 0) return [];
    const req = embedRequest(embedInputs(list), opts);
    return (await this.runEmbed(req, opts.signal)).embeddings;
  }

  private async runEmbed(req: EmbedRequest, signal?: AbortSignal): Promise<EmbedOutput> {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let release: (() => void) | undefined;
    try {
      release = await this.lock.acquire(signal);
      this.running.add(ctl);
      if (signal?.aborted) throw abortErrorFrom(signal);
      if (this.disposing) throw new WasmChordError('invalid_argument', 'the model has been disposed');
      return await this.backend.embed(req, ctl.signal);
    } catch (e) {
      throw isAbortError(e) && signal?.aborted ? abortErrorFrom(signal) : e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.running.delete(ctl);
      release?.();
    }
  }

  private checkOpen(): void {
    if (this.disposing) throw new WasmChordError('invalid_argument', 'the model has been disposed');
  }

  async tokenize(text: string, opts: TokenizeOptions = {}): Promise<number[]> {
    this.checkOpen();
    return this.backend.tokenize(String(text), opts);
  }

  async detokenize(ids: readonly number[], opts: DetokenizeOptions = {}): Promise<string> {
    this.checkOpen();
    return this.backend.detokenize(ids, opts);
  }

  /** The raw bytes of one token (a piece may be part of a multi-byte character). */
  async tokenBytes(id: number): Promise<Uint8Array> {
    this.checkOpen();
    return this.backend.tokenBytes(id);
  }

  /** One metadata value in full (e.g. 'tokenizer.ggml.tokens'). */
  async metadataValue(key: string): Promise<GgufValue> {
    this.checkOpen();
    return this.backend.metadataValue(key);
  }

  /** Renders messages with the model's chat template (or `template`) to the prompt text. */
  async applyChatTemplate(
    messages: ChatMessage[],
    opts: { addGenerationPrompt?: boolean; template?: string; extra?: Record<string, unknown> } = {},
  ): Promise<string> {
    this.checkOpen();
    const r = await this.backend.renderChat({
      messages: messagesForTemplate(normalizeMessages(messages)),
      template: opts.template,
      addGenerationPrompt: opts.addGenerationPrompt ?? true,
      extra: opts.extra,
    });
    return r.prompt;
  }

  /** Streams a completion of `prompt` (text, or token ids used as they are) token by token. */
  generate(prompt: string | readonly number[], opts: GenerateOptions = {}): GenerationStream {
    this.checkOpen();
    const input: PromptInput =
      typeof prompt === 'string'
        ? { kind: 'text', text: prompt, addSpecial: opts.addSpecial ?? true, parseSpecial: opts.parseSpecial ?? true }
        : { kind: 'tokens', tokens: Array.from(prompt) };
    const raw = toRecord(opts, this.info.nVocab);
    return this.stream(async () => ({ input, raw }), opts.signal);
  }

  /** generate() collected: resolves with the whole result. */
  async complete(prompt: string | readonly number[], opts: GenerateOptions = {}): Promise<GenerateResult> {
    const s = this.generate(prompt, opts);
    for await (const _ of s) {
      /* drain */
    }
    return s.result;
  }

  private stream(prepare: () => Promise<{ input: PromptInput; raw: GenerationRecord }>, signal?: AbortSignal): GenerationStream {
    const outcome = deferred<GenerateResult>();
    const self = this;
    let started = false;
    async function* run(): AsyncGenerator<GenerateChunk> {
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let release: (() => void) | undefined;
      const text: string[] = [];
      const tokens: number[] = [];
      const logprobs: StepLogprobs[] = [];
      try {
        release = await self.lock.acquire(signal);
        self.running.add(ctl);
        if (signal?.aborted) throw abortErrorFrom(signal);
        if (self.disposing) throw new WasmChordError('invalid_argument', 'the model has been disposed');
        const { input, raw } = await prepare();
        let done: Extract<EngineEvent, { type: 'done' }> | undefined;
        for await (const ev of self.backend.generate(input, raw, ctl.signal)) {
          // A worker may have run ahead of the consumer: nothing is delivered after an abort.
          if (ctl.signal.aborted) throw abortErrorFrom(ctl.signal);
          if (ev.type === 'chunk') {
            text.push(ev.text);
            tokens.push(ev.token);
            if (ev.logprobs) logprobs.push(ev.logprobs);
            yield ev.logprobs ? { text: ev.text, token: ev.token, logprobs: ev.logprobs } : { text: ev.text, token: ev.token };
          } else done = ev;
        }
        if (!done) throw new WasmChordError('internal', 'generation ended without a result');
        const result: GenerateResult = {
          text: text.join(''),
          tokens,
          finishReason: done.finishReason,
          usage: done.usage,
          timings: done.timings,
        };
        if (raw.logprobs || raw.top_logprobs) result.logprobs = logprobs;
        outcome.settle({ ok: true, value: result });
      } catch (e) {
        const err = isAbortError(e) && signal?.aborted ? abortErrorFrom(signal) : e;
        outcome.settle({ ok: false, error: err });
        throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        self.running.delete(ctl);
        outcome.settle({ ok: false, error: new AbortError('the stream was closed before generation finished') });
        release?.();
      }
    }
    return {
      [Symbol.asyncIterator]() {
        if (started) throw new WasmChordError('invalid_argument', 'a generation stream can be iterated only once');
        started = true;
        return run();
      },
      get result() {
        return outcome.promise;
      },
    };
  }

  /** Aborts any running generation (it throws AbortError), then frees the model's memory. */
  dispose(): Promise<void> {
    if (!this.disposing) {
      for (const c of this.running) c.abort(new AbortError('the model was disposed'));
      this.disposing = this.lock.run(() => this.backend.dispose());
    }
    return this.disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
