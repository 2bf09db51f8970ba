// The in-process engine: one wasm instance holding one model and its context. Loads parts into
// the heap, tokenizes, renders chat templates and runs generation one step at a time, yielding
// to the event loop between steps. Used directly in Node and inside the browser Worker.
import { AbortError, WasmChordError, abortErrorFrom, errorFromRaw, unwrap, wrapWasmFailure } from './errors.js';
import { checkModelFits, openHeaders, preflight } from './preflight.js';
import type { ResolvedConfig } from './probe.js';
import type { OpenedPart, PartReader } from './sources.js';
import type {
  DetokenizeOptions,
  GgufValue,
  ModelCache,
  ModelInfo,
  ProgressEvent,
  TokenizeOptions,
  Usage,
  FinishReason,
  GenerateResult,
  StepLogprobs,
  TokenLogprob,
} from './types.js';
import type { GenerationRecord } from './options.js';
import type { EmbedOutput, EmbedRequest } from './embeddings.js';
import type { Flavor, RawContext, RawModel, RawModule, RawTokenizer, SimdLevel } from './wasm.js';
import { acquireGpu, type GpuContext } from './webgpu/device.js';
import { evalPending, gpuEmbed, gpuModel, keepPrefix } from './webgpu/backend.js';
import type { GpuTransformer } from './webgpu/transformer.js';

/** The WebGPU backend's state (backend 'webgpu'). */
interface GpuState {
  gpu: GpuContext;
  model: GpuTransformer;
}

/** The resolved configuration (probe.ts) plus what one load needs. */
export interface EngineLoadOptions extends ResolvedConfig {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  cache?: ModelCache | false;
}

export interface EngineEnv {
  /** memory64: the wasm64 build (buildName); flavor and simd are then 'mt' and 'relaxed'. */
  instantiate(flavor: Flavor, simd: SimdLevel, poolSize: number, memory64?: boolean): Promise<RawModule>;
  yieldToEventLoop(): Promise<void>;
}

/** A prompt as text (tokenized with the model's tokenizer) or as token ids. */
export type PromptInput = { kind: 'text'; text: string; addSpecial: boolean; parseSpecial: boolean } | { kind: 'tokens'; tokens: number[] };

export type EngineEvent =
  | { type: 'chunk'; text: string; token: number; logprobs?: StepLogprobs }
  | { type: 'done'; finishReason: FinishReason; usage: Usage; timings: GenerateResult['timings'] };

export interface ChatRenderRequest {
  messages: unknown[];
  /** Jinja source; undefined -> the model's template, or the ChatML default if it has none. */
  template?: string;
  addGenerationPrompt: boolean;
  /** Extra template variables (chat_template_kwargs), JSON-serializable. */
  extra?: Record<string, unknown>;
}

export interface ChatRenderResult {
  prompt: string;
  /** True when the model has no template and the ChatML default was used. */
  usedDefaultTemplate: boolean;
}

/** ChatML, used when a model has no tokenizer.chat_template (documented in the README). */
export const DEFAULT_CHAT_TEMPLATE =
  '{%- for message in messages -%}' +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}" +
  '{%- endfor -%}' +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

const METADATA_MAX_ARRAY = 64;

/** The wasm build one load runs. */
interface Build {
  flavor: Flavor;
  simd: SimdLevel;
  memory64: boolean;
}

/** A wasm32 load under memory64 'auto' ran out of heap (model, or KV cache and scratch beside it):
 *  Engine.load retries in the Memory64 build. */
class Wasm32Full extends Error {}

export class Engine {
  readonly info: ModelInfo;
  readonly metadata: Record<string, GgufValue>;
  private disposed = false;
  private active: { abort(): void; finished: Promise<void> } | undefined;

  private constructor(
    private readonly mod: RawModule,
    private readonly model: RawModel,
    private readonly tok: RawTokenizer,
    private readonly ctx: RawContext,
    private readonly env: EngineEnv,
    config: EngineLoadOptions,
    build: Build,
    private readonly gpu?: GpuState,
  ) {
    const raw = model.info();
    const tmpl = model.chatTemplate();
    this.info = {
      ...raw,
      contextLength: ctx.nCtx(),
      threads: config.threads,
      wasm: build.flavor,
      simd: build.simd,
      memory64: build.memory64,
      contextBytes: gpu ? gpu.model.kvBytes : ctx.memoryBytes(),
      backend: gpu ? 'webgpu' : 'cpu',
      ...(gpu ? { gpu: gpu.gpu.report } : {}),
      chatTemplate: tmpl === '' ? null : tmpl,
      bosToken: tok.bos(),
      eosToken: tok.eos(),
      tokenizer: tok.model(),
    };
    this.metadata = model.metadata(METADATA_MAX_ARRAY) as Record<string, GgufValue>;
  }

  /** memory64 'auto' tries wasm32 first: when the model, or its KV cache and scratch beside it, do
   *  not fit its heap (the preflight finds out from the headers before the weights are read, where
   *  the sources give headers cheaply), the load starts again in the Memory64 build. */
  static async load(readers: PartReader[], opts: EngineLoadOptions, env: EngineEnv): Promise<Engine> {
    if (opts.memory64 !== 'auto') return Engine.loadIn(readers, opts, env, opts.memory64);
    try {
      return await Engine.loadIn(readers, opts, env, false);
    } catch (e) {
      if (!(e instanceof Wasm32Full)) throw e;
      return Engine.loadIn(readers, opts, env, true);
    }
  }

  private static async loadIn(readers: PartReader[], opts: EngineLoadOptions, env: EngineEnv, memory64: boolean): Promise<Engine> {
    const { signal, onProgress } = opts;
    if (readers.length === 0) throw new WasmChordError('invalid_argument', 'no model source was given');
    if (signal?.aborted) throw abortErrorFrom(signal);
    const build: Build = memory64 ? { flavor: 'mt', simd: 'relaxed', memory64 } : { flavor: opts.flavor, simd: opts.simd, memory64 };
    // Start the wasm instance and read every part's header together; the weights are read only
    // once the model and its context are known to fit (preflight.ts).
    const modP = env.instantiate(build.flavor, build.simd, opts.threads - 1, memory64);
    let openedP: Promise<OpenedPart[]> | undefined;
    let mod: RawModule | undefined;
    let heapParts: InstanceType<RawModule['HeapParts']> | undefined;
    let gpu: GpuContext | undefined;
    let gpuModelHere: GpuTransformer | undefined;
    try {
      const [m, srcs] = await Promise.all([modP, openHeaders(readers, signal)]);
      mod = m;
      await preflight(mod, srcs, opts);
      // Before any download: no adapter is an 'unsupported' error now, not after the weights.
      if (opts.backend === 'webgpu') gpu = await acquireGpu();
      openedP = Promise.all(readers.map((r) => r.open(signal)));
      const opened = await openedP;
      const total = opened.reduce((s, o) => s + o.size, 0);
      checkModelFits(mod, total, opts.memory64Unavailable);
      heapParts = new mod.HeapParts();
      for (const o of opened) unwrap(heapParts.add(o.size));
      const pumpPhase = await pumpAll(heapParts, opened, readers, onProgress, signal);
      offerToCache(opts.cache, heapParts, opened);
      const phaseTotal = total;
      // Local bytes were reported as 'load' already; after a download, parsing starts a 'load' phase.
      if (pumpPhase !== 'load') onProgress?.({ phase: 'load', loaded: 0, total: phaseTotal });
      if (signal?.aborted) throw abortErrorFrom(signal);
      const model = unwrap(mod.Model.load(heapParts)); // takes the buffers, frees them on failure
      heapParts.delete();
      heapParts = undefined;
      let tok: RawTokenizer | undefined;
      let ctx: RawContext | undefined;
      try {
        tok = model.tokenizer();
        ctx = unwrap(
          gpu
            ? mod.Context.createExternal(model, opts.contextLength, opts.batchSize)
            : mod.Context.create(model, opts.contextLength, opts.batchSize, opts.threads),
        );
        // WebGPU: the weights uploaded from the loaded model's views, sized by the context's own
        // resolved length and batch.
        if (gpu) gpuModelHere = gpuModel(gpu, mod, model, { nCtx: ctx.nCtx(), maxBatch: ctx.nBatch() });
        const engine = new Engine(mod, model, tok, ctx, env, opts, build, gpu && gpuModelHere ? { gpu, model: gpuModelHere } : undefined);
        mod.chordUnrefWorkers();
        onProgress?.({ phase: 'load', loaded: phaseTotal, total: phaseTotal });
        return engine;
      } catch (e) {
        ctx?.delete();
        tok?.delete();
        model.delete();
        throw e;
      }
    } catch (e) {
      openedP?.catch(() => {});
      heapParts?.delete();
      gpuModelHere?.dispose();
      gpu?.device.destroy();
      if (mod) mod.chordTerminateWorkers();
      else
        modP.then(
          (m) => m.chordTerminateWorkers(),
          () => {},
        );
      if (signal?.aborted && !(e instanceof WasmChordError && e.code !== 'aborted')) throw abortErrorFrom(signal);
      if (!memory64 && opts.memory64 === 'auto' && e instanceof WasmChordError && e.code === 'out_of_memory') throw new Wasm32Full();
      throw wrapWasmFailure(e);
    }
  }

  private check(): void {
    if (this.disposed) throw new WasmChordError('invalid_argument', 'the model has been disposed');
  }

  tokenize(text: string, opts: TokenizeOptions = {}): number[] {
    this.check();
    return Array.from(this.tok.encode(text, opts.addSpecial ?? true, opts.parseSpecial ?? true));
  }

  detokenize(ids: readonly number[], opts: DetokenizeOptions = {}): string {
    this.check();
    return unwrap(this.tok.decode(Int32Array.from(ids), opts.special ?? false));
  }

  /** The raw bytes of one token (may be part of a UTF-8 character). */
  tokenBytes(id: number, special = true): Uint8Array {
    this.check();
    return unwrap(this.tok.tokenPiece(id, special));
  }

  metadataValue(key: string): GgufValue {
    this.check();
    return unwrap(this.model.metadataValue(key)) as GgufValue;
  }

  renderChat(req: ChatRenderRequest): ChatRenderResult {
    this.check();
    const usedDefaultTemplate = req.template === undefined && this.info.chatTemplate === null;
    const tmpl = req.template ?? this.info.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
    const bos = this.info.bosToken >= 0 ? unwrap(this.tok.tokenText(this.info.bosToken)) : '';
    const eos = this.info.eosToken >= 0 ? unwrap(this.tok.tokenText(this.info.eosToken)) : '';
    let messagesJson: string;
    let extraJson = '';
    try {
      messagesJson = JSON.stringify(req.messages);
      if (req.extra && Object.keys(req.extra).length > 0) extraJson = JSON.stringify(req.extra);
    } catch (e) {
      throw new WasmChordError('invalid_argument', `messages must be JSON-serializable: ${(e as Error).message}`);
    }
    let prompt = unwrap(this.mod.renderChatTemplate(tmpl, messagesJson, req.addGenerationPrompt, bos, eos, extraJson));
    // Templates usually write the BOS text themselves; the tokenizer adds BOS too (as llama.cpp does,
    // drop the template's copy so it is not doubled).
    if (bos !== '' && this.tok.addBos() && prompt.startsWith(bos)) prompt = prompt.slice(bos.length);
    return { prompt, usedDefaultTemplate };
  }

  private tokenLogprob(token: number, logprob: number): TokenLogprob {
    const bytes = unwrap(this.tok.tokenPiece(token, true));
    return { token, text: new TextDecoder().decode(bytes), bytes: Array.from(bytes), logprob };
  }

  /** Marks the model busy with one generation or embedding until end(); dispose() meanwhile
   *  makes stopped() true and waits for end(). */
  private begin(): { stopped: () => boolean; end: () => void } {
    this.check();
    if (this.active) throw new WasmChordError('invalid_argument', 'a generation is already running on this model');
    let stopped = false;
    let end!: () => void;
    this.active = {
      abort: () => {
        stopped = true;
      },
      finished: new Promise<void>((r) => {
        end = () => {
          this.active = undefined;
          r();
        };
      }),
    };
    return { stopped: () => stopped, end };
  }

  /** Runs one generation; events stream as tokens are sampled. The caller serializes calls. */
  async *generate(prompt: PromptInput, options: GenerationRecord, signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    const busy = this.begin();
    const gen = (() => {
      try {
        const tokens =
          prompt.kind === 'text' ? this.tok.encode(prompt.text, prompt.addSpecial, prompt.parseSpecial) : Int32Array.from(prompt.tokens);
        if (this.gpu) keepPrefix(this.gpu.model, this.ctx, tokens);
        return unwrap(this.mod.Generator.start(this.ctx, tokens, JSON.stringify(options)));
      } catch (e) {
        busy.end();
        throw wrapWasmFailure(e);
      }
    })();
    const t0 = performance.now();
    let tFirst: number | undefined;
    try {
      for (;;) {
        if (signal?.aborted) throw abortErrorFrom(signal);
        if (busy.stopped()) throw new AbortError('the model was disposed during generation');
        const r = gen.step();
        // WebGPU: the tokens this step recorded are evaluated now, before anything can stop the
        // loop (the context's history must match the GPU's KV cache), done or not.
        if (this.gpu) await evalPending(this.gpu.model, this.ctx, gen);
        if (r.code !== 'ok') throw errorFromRaw(r);
        const s = r.value!;
        if (s.token >= 0 && tFirst === undefined) tFirst = performance.now();
        if (s.text !== '' || (s.token >= 0 && !(s.done && this.tok.isEog(s.token) && s.finishReason === 'stop'))) {
          const logprobs =
            s.logprob === undefined
              ? undefined
              : {
                  sampled: this.tokenLogprob(s.token, s.logprob),
                  top: (s.top ?? []).map(([id, lp]) => this.tokenLogprob(id, lp)),
                };
          yield { type: 'chunk', text: s.text, token: s.token, logprobs };
        }
        if (s.done) {
          const now = performance.now();
          yield {
            type: 'done',
            finishReason: s.finishReason === 'length' ? 'length' : 'stop',
            usage: { promptTokens: gen.promptTokens(), completionTokens: gen.completionTokens(), cachedTokens: gen.cachedTokens() },
            timings: {
              promptMs: (tFirst ?? now) - t0,
              totalMs: now - t0,
              promptBatches: gen.promptBatches(),
              contextShifts: gen.contextShifts(),
            },
          };
          return;
        }
        await this.env.yieldToEventLoop();
      }
    } catch (e) {
      throw wrapWasmFailure(e);
    } finally {
      gen.delete();
      busy.end();
    }
  }

  /** Embeds each input as its own sequence (runtime/embed.h; the KV cache is cleared, so the next
   *  chat turn recomputes its prefix). Consecutive inputs go to the engine in groups of about one
   *  forward batch of tokens, which packs short ones into shared batches; between groups it yields
   *  to the event loop and checks for abort. The caller serializes calls with generations. */
  async embed(req: EmbedRequest, signal?: AbortSignal): Promise<EmbedOutput> {
    const busy = this.begin();
    try {
      const out: EmbedOutput = { embeddings: [], promptTokens: 0 };
      const nBatch = this.ctx.nBatch();
      let group: Int32Array[] = [];
      let groupTokens = 0;
      const flush = async () => {
        if (signal?.aborted) throw abortErrorFrom(signal);
        if (busy.stopped()) throw new AbortError('the model was disposed during embedding');
        const pooling = req.pooling ?? '';
        out.embeddings.push(
          ...(this.gpu
            ? await gpuEmbed(this.gpu.model, this.ctx, group, pooling, req.normalize)
            : unwrap(this.ctx.embed(group, pooling, req.normalize))),
        );
        group = [];
        groupTokens = 0;
        await this.env.yieldToEventLoop();
      };
      for (const input of req.inputs) {
        const tokens =
          input.kind === 'text' ? this.tok.encode(input.text, input.addSpecial, input.parseSpecial) : Int32Array.from(input.tokens);
        if (group.length > 0 && groupTokens + tokens.length > nBatch) await flush();
        out.promptTokens += tokens.length;
        group.push(tokens);
        groupTokens += tokens.length;
      }
      if (group.length > 0) await flush();
      return out;
    } catch (e) {
      throw wrapWasmFailure(e);
    } finally {
      busy.end();
    }
  }

  /** Stops a running generation (it ends with AbortError), waits for it, frees everything. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    const active = this.active;
    if (active) {
      active.abort();
      await active.finished;
    }
    this.disposed = true;
    if (this.gpu) {
      this.gpu.model.dispose();
      this.gpu.gpu.device.destroy();
    }
    this.ctx.delete();
    this.tok.delete();
    this.model.delete();
    this.mod.chordTerminateWorkers();
  }
}

async function pumpAll(
  heap: InstanceType<RawModule['HeapParts']>,
  opened: OpenedPart[],
  readers: PartReader[],
  onProgress: ((e: ProgressEvent) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<ProgressEvent['phase']> {
  const total = opened.reduce((s, o) => s + o.size, 0);
  const phase = opened.some((o) => o.phase === 'download') ? 'download' : opened.some((o) => o.phase === 'cache') ? 'cache' : 'load';
  let loaded = 0;
  onProgress?.({ phase, loaded: 0, total });
  const onBytes = (n: number, p: ProgressEvent['phase'] = phase) => {
    loaded += n;
    onProgress?.({ phase: p, loaded, total });
  };
  await Promise.all(
    opened.map((o, i) =>
      o.pump({ view: (off, len) => unwrap(heap.view(i, off, len)) }, onBytes, signal).catch((e: unknown) => {
        if (e instanceof WasmChordError || e instanceof AbortError) throw e;
        throw new WasmChordError('io_error', `${readers[i]!.name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      }),
    ),
  );
  return phase;
}

/** Hands downloaded parts to the cache as Blobs (best effort, not awaited). The Blob is built
 *  from copies of heap slices, so caching costs one transient copy of each downloaded part. */
function offerToCache(cache: ModelCache | false | undefined, heap: InstanceType<RawModule['HeapParts']>, opened: OpenedPart[]): void {
  if (!cache || !cache.put || typeof Blob === 'undefined') return;
  opened.forEach((o, i) => {
    if (!o.cacheKey) return;
    const pieces: Uint8Array<ArrayBuffer>[] = [];
    for (let off = 0; off < o.size; off += 16 << 20) {
      const view = unwrap(heap.view(i, off, Math.min(16 << 20, o.size - off)));
      const copy = new Uint8Array(view.byteLength); // not shared: Blob refuses shared views
      copy.set(view);
      pieces.push(copy);
    }
    cache.put!(o.cacheKey, new Blob(pieces)).catch(() => {});
  });
}
