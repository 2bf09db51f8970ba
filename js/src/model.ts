// The public Model: streaming generation, OpenAI-shaped chat completions, tokenizer access and
// disposal, over a Backend (the in-process Engine, or a proxy to it in a Worker). Generations on
// one model run one at a time (they share its KV cache); later calls wait their turn.
import type { ChatRenderRequest, ChatRenderResult, EngineEvent, PromptInput } from './engine.js';
import { AbortError, WasmChordError, abortErrorFrom, isAbortError } from './errors.js';
import { fitChat } from './chat-fit.js';
import { ReasoningSplitter, promptOpensThinking, type ReplyParts } from './chat-output.js';
import { FifoLock } from './lock.js';
import { completionId, openAiUsage } from './openai.js';
import { optionsFromRequest, toRecord } from './options.js';
import type {
  DetokenizeOptions, FinishReason, GenerateChunk, GenerateOptions, GenerateResult, GgufValue, ModelInfo,
  StepLogprobs, TokenizeOptions, TokenLogprob, Usage,
} from './types.js';
import type { GenerationRecord } from './options.js';
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams, ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming, ChatMessage, ChatTokenLogprob, RequestOptions,
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
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, settle: (s) => (s.ok ? resolve(s.value) : reject(s.error)) };
}

function openAiLogprob(l: StepLogprobs): ChatTokenLogprob {
  const entry = (t: TokenLogprob) => ({ token: t.text, logprob: t.logprob, bytes: t.bytes });
  return { ...entry(l.sampled), top_logprobs: l.top.map(entry) };
}

/** Message content as the template expects it: text parts joined into one string. */
function normalizeMessages(messages: ChatMessage[]): unknown[] {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new WasmChordError('invalid_argument', 'messages must be a non-empty array');
  return messages.map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string')
      throw new WasmChordError('invalid_argument', `messages[${i}] needs a string role`);
    let content: unknown = m.content;
    if (Array.isArray(content)) {
      content = content.map((p, j) => {
        if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
        throw new WasmChordError('unsupported', `messages[${i}].content[${j}]: only text parts are supported`);
      }).join('');
    } else if (content === undefined) content = null;
    else if (content !== null && typeof content !== 'string')
      throw new WasmChordError('invalid_argument', `messages[${i}].content must be a string, an array of text parts, or null`);
    return { ...m, content: content ?? '' };
  });
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
  private readonly lock = new FifoLock();
  private disposing: Promise<void> | undefined;
  private readonly running = new Set<AbortController>();

  constructor(private readonly backend: Backend) {
    this.info = backend.info;
    this.metadata = backend.metadata;
    const create = (params: ChatCompletionCreateParams, options?: RequestOptions) => this.createChatCompletion(params, options);
    this.chat = { completions: { create: create as Model['chat']['completions']['create'] } };
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
  async applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; template?: string; extra?: Record<string, unknown> } = {}): Promise<string> {
    this.checkOpen();
    const r = await this.backend.renderChat({
      messages: normalizeMessages(messages), template: opts.template,
      addGenerationPrompt: opts.addGenerationPrompt ?? true, extra: opts.extra,
    });
    return r.prompt;
  }

  /** Streams a completion of `prompt` (text, or token ids used as they are) token by token. */
  generate(prompt: string | readonly number[], opts: GenerateOptions = {}): GenerationStream {
    this.checkOpen();
    const input: PromptInput = typeof prompt === 'string'
      ? { kind: 'text', text: prompt, addSpecial: opts.addSpecial ?? true, parseSpecial: opts.parseSpecial ?? true }
      : { kind: 'tokens', tokens: Array.from(prompt) };
    const raw = toRecord(opts, this.info.nVocab);
    return this.stream(async () => ({ input, raw }), opts.signal);
  }

  /** generate() collected: resolves with the whole result. */
  async complete(prompt: string | readonly number[], opts: GenerateOptions = {}): Promise<GenerateResult> {
    const s = this.generate(prompt, opts);
    for await (const _ of s) { /* drain */ }
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
        const result: GenerateResult = { text: text.join(''), tokens, finishReason: done.finishReason, usage: done.usage, timings: done.timings };
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

  private async createChatCompletion(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    this.checkOpen();
    if (typeof params !== 'object' || params === null) throw new WasmChordError('invalid_argument', 'params must be an object');
    if (params.n !== undefined && params.n !== null && params.n !== 1) throw new WasmChordError('unsupported', 'only n = 1 is supported');
    const signal = options?.signal ?? params.signal;
    const messages = normalizeMessages(params.messages);
    // Unlike OpenAI's, the default is "until the context is full" (as llama.cpp's server).
    const genOpts = optionsFromRequest(params as unknown as Record<string, unknown>, { contextLength: this.info.contextLength, defaultMaxTokens: -1 });
    toRecord(genOpts, this.info.nVocab);  // validate now, before anything is queued
    const overflow = params.context_overflow ?? 'drop_oldest';
    if (overflow !== 'drop_oldest' && overflow !== 'error')
      throw new WasmChordError('invalid_argument', `context_overflow must be 'drop_oldest' or 'error', got ${JSON.stringify(overflow)}`);
    const ctx = this.info.contextLength;
    const asked = [params.max_completion_tokens, params.max_tokens, params.n_predict].find((v) => v !== undefined && v !== null && v !== -1);
    const reasoningFormat = params.reasoning_format ?? 'auto';
    if (reasoningFormat !== 'auto' && reasoningFormat !== 'none')
      throw new WasmChordError('invalid_argument', `reasoning_format must be 'auto' or 'none', got ${JSON.stringify(reasoningFormat)}`);
    let opensThinking = false;
    const stream = this.stream(async () => {
      let usedDefaultTemplate = false;
      const fit = await fitChat({
        messages, contextLength: ctx, policy: overflow,
        // Room for the reply: what was asked (at most half the context), else a quarter.
        reserve: asked !== undefined && asked !== null ? Math.min(asked, Math.floor(ctx / 2)) : Math.floor(ctx / 4),
        render: async (msgs) => {
          const r = await this.backend.renderChat({ messages: [...msgs], template: params.chat_template, addGenerationPrompt: true, extra: params.chat_template_kwargs });
          usedDefaultTemplate = r.usedDefaultTemplate;
          return r.prompt;
        },
        tokenize: (prompt) => this.backend.tokenize(prompt, { addSpecial: true, parseSpecial: true }),
      });
      opensThinking = promptOpensThinking(fit.prompt);
      // The ChatML fallback's end marker is plain text for models without it as a token.
      const extraStop = usedDefaultTemplate ? ['<|im_end|>'] : [];
      return { input: { kind: 'tokens', tokens: fit.tokens }, raw: toRecord(genOpts, this.info.nVocab, extraStop) };
    }, signal);
    const id = completionId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    const model = params.model ?? (this.info.name || this.info.arch);

    const wantLogprobs = genOpts.logprobs === true || (genOpts.topLogprobs ?? 0) > 0;
    // The reply split into reasoning and content parts as it streams (reasoning_format 'none':
    // everything is content).
    async function* parts(): AsyncGenerator<ReplyParts & { logprobs?: StepLogprobs }> {
      let splitter: ReasoningSplitter | undefined;
      for await (const c of stream) {
        splitter ??= reasoningFormat === 'none' ? undefined : new ReasoningSplitter(opensThinking);
        yield { ...(splitter ? splitter.push(c.text) : { reasoning: '', content: c.text }), logprobs: c.logprobs };
      }
      if (splitter) yield splitter.flush();
    }
    if (!params.stream) {
      let reasoning = '';
      let text = '';
      const content: ChatTokenLogprob[] = [];
      for await (const p of parts()) {
        reasoning += p.reasoning;
        text += p.content;
        if (p.logprobs) content.push(openAiLogprob(p.logprobs));
      }
      const r = await stream.result;
      const message: ChatCompletion['choices'][0]['message'] = { role: 'assistant', content: text, refusal: null };
      if (reasoning.trim() !== '') message.reasoning_content = reasoning.trim();
      return {
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message, finish_reason: r.finishReason, logprobs: wantLogprobs ? { content, refusal: null } : null }],
        usage: openAiUsage(r.usage),
      };
    }
    const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason | null, usage: Usage | null,
      logprobs: StepLogprobs | undefined = undefined): ChatCompletionChunk => ({
      id, object: 'chat.completion.chunk', created, model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: logprobs ? { content: [openAiLogprob(logprobs)], refusal: null } : null }],
      usage: usage ? openAiUsage(usage) : null,
    });
    async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
      let first = true;  // the role chunk comes with the first part: prompt errors come before any chunk
      for await (const p of parts()) {
        if (first) yield chunk({ role: 'assistant', content: '' }, null, null);
        first = false;
        const delta: ChatCompletionChunk['choices'][0]['delta'] = {};
        if (p.reasoning !== '') delta.reasoning_content = p.reasoning;
        if (p.content !== '' || (p.reasoning === '' && p.logprobs)) delta.content = p.content;
        if (Object.keys(delta).length) yield chunk(delta, null, null, p.logprobs);
      }
      const r = await stream.result;
      if (first) yield chunk({ role: 'assistant', content: '' }, null, null);
      yield chunk({}, r.finishReason, r.usage);
    }
    return chunks();
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
