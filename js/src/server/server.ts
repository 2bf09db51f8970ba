// An OpenAI-compatible HTTP server over one loaded Model (Node http): POST /v1/chat/completions,
// POST /v1/completions, POST /v1/generate (token SSE), POST /v1/embeddings, GET /v1/models, GET /health. Generations
// run one at a time in arrival order; a client that disconnects aborts its own generation.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletion, ChatCompletionChunk, CompletionUsage } from '../chat-types.js';
import { AbortError, isAbortError } from '../errors.js';
import type { Model } from '../model.js';
import type { GenerateResult } from '../types.js';
import { HttpError, SseWriter, corsHeaders, readJson, sendError, sendJson, toHttpError } from './http.js';
import { chatRequest, completionRequest, embeddingRequest, generateRequest, type Limits } from './params.js';
import { FifoLock } from '../lock.js';
import { type CompletionLogprobs, completionId, completionLogprobs, openAiUsage } from '../openai.js';

export interface ServerOptions {
  /** The id /v1/models reports and responses carry as `model`. */
  modelId: string;
  /** Access-Control-Allow-Origin; default '*', null for no CORS headers. */
  corsOrigin?: string | null;
  /** When set, /v1 routes need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Requests allowed to wait for their turn; more get 503 (default 64). */
  maxQueue?: number;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** max_tokens for requests without one; -1 = until the context is full (default: per endpoint). */
  defaultMaxTokens?: number;
  /** Called with one line per finished request. */
  log?: (line: string) => void;
}

export interface ServerStats {
  /** Generations that ran to the end. */
  completed: number;
  /** Generations stopped because their client went away. */
  aborted: number;
  /** Requests whose client went away while they waited in the queue (never ran). */
  dropped: number;
  /** Generations that failed. */
  failed: number;
}

export interface ChordServer {
  readonly http: Server;
  readonly stats: Readonly<ServerStats>;
  /** Starts listening; resolves with the base URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, cancels running and queued generations, closes connections. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, cors: Record<string, string>) => Promise<void>;

export function createServer(model: Model, options: ServerOptions): ChordServer {
  const queue = new FifoLock();
  const maxQueue = options.maxQueue ?? 64;
  const bodyLimit = options.bodyLimit ?? 4 << 20;
  const cors = { origin: options.corsOrigin === undefined ? '*' : options.corsOrigin };
  const limits: Limits = { contextLength: model.info.contextLength, defaultMaxTokens: options.defaultMaxTokens };
  const modelId = options.modelId;
  const created = Math.floor(Date.now() / 1000);
  const stats: ServerStats = { completed: 0, aborted: 0, dropped: 0, failed: 0 };
  const active = new Set<AbortController>();
  let closing = false;
  let turns = 0;

  /** Runs `fn` in the request's turn; its signal aborts when the client disconnects. */
  async function inTurn(res: ServerResponse, cors: Record<string, string>, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ctl = new AbortController();
    let clientGone = false;
    const onClose = () => {
      if (res.writableFinished) return;
      clientGone = true;
      ctl.abort(new AbortError('the client disconnected'));
    };
    res.on('close', onClose);
    if (closing) throw new HttpError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
    if (queue.pending >= maxQueue)
      throw new HttpError(503, `the server is busy: ${queue.pending} requests are waiting`, 'server_error', null, 'queue_full');
    let release: () => void;
    try {
      release = await queue.acquire(ctl.signal);
    } catch (e) {
      if (clientGone) {
        stats.dropped++;
        return;
      }
      throw e;
    }
    active.add(ctl);
    // Generations are numbered in the order they get the model (clients can check FIFO order).
    if (!res.headersSent) res.setHeader('X-Wasm-Chord-Turn', String(++turns));
    try {
      if (ctl.signal.aborted) throw new AbortError();
      await fn(ctl.signal);
      stats.completed++;
    } catch (e) {
      if (clientGone && isAbortError(e)) {
        stats.aborted++;
        return;
      }
      stats.failed++;
      throw e;
    } finally {
      active.delete(ctl);
      res.off('close', onClose);
      release();
    }
  }

  /** Sends an error: as a status if nothing was sent yet, as a final SSE event otherwise. */
  async function fail(res: ServerResponse, sse: SseWriter | undefined, e: unknown, cors: Record<string, string>): Promise<void> {
    const err = toHttpError(e);
    if (sse) await sse.fail(err);
    else sendError(res, err, cors);
  }

  const chat: Handler = async (req, res, h) => {
    const r = chatRequest(await readJson(req, bodyLimit), modelId, limits);
    let sse: SseWriter | undefined;
    try {
      await inTurn(res, h, async (signal) => {
        if (!r.stream) {
          const c = (await model.chat.completions.create({ ...r.params, stream: false }, { signal })) as ChatCompletion;
          sendJson(res, 200, c, h);
          return;
        }
        sse = new SseWriter(res, h);
        const stream = await model.chat.completions.create({ ...r.params, stream: true }, { signal });
        let last: ChatCompletionChunk | undefined;
        for await (const chunk of stream) {
          last = chunk;
          // With include_usage OpenAI sends usage in an extra chunk with no choices, null before.
          await sse.send(r.includeUsage ? { ...chunk, usage: null } : chunk);
        }
        if (r.includeUsage && last?.usage) await sse.send({ ...last, choices: [], usage: last.usage });
        await sse.done();
      });
    } catch (e) {
      await fail(res, sse, e, h);
    }
  };

  const completions: Handler = async (req, res, h) => {
    const r = completionRequest(await readJson(req, bodyLimit), limits);
    let sse: SseWriter | undefined;
    const id = completionId('cmpl');
    const t = Math.floor(Date.now() / 1000);
    const chunk = (text: string, finish: string | null, usage: CompletionUsage | null, logprobs: CompletionLogprobs | null = null) => ({
      id,
      object: 'text_completion',
      created: t,
      model: modelId,
      choices: [{ text, index: 0, logprobs, finish_reason: finish }],
      usage,
    });
    try {
      await inTurn(res, h, async (signal) => {
        const stream = model.generate(r.prompt, { ...r.options, signal });
        let echo = r.echo ? (typeof r.prompt === 'string' ? r.prompt : await model.detokenize(r.prompt)) : '';
        if (!r.stream) {
          const parts: string[] = [];
          for await (const c of stream) parts.push(c.text);
          const res0: GenerateResult = await stream.result;
          sendJson(
            res,
            200,
            {
              id,
              object: 'text_completion',
              created: t,
              model: modelId,
              choices: [
                {
                  text: echo + parts.join(''),
                  index: 0,
                  logprobs: r.logprobs ? completionLogprobs(res0.logprobs ?? [], 0) : null,
                  finish_reason: res0.finishReason,
                },
              ],
              usage: openAiUsage(res0.usage),
            },
            h,
          );
          return;
        }
        sse = new SseWriter(res, h);
        let offset = 0;
        for await (const c of stream) {
          if (c.text === '' && echo === '' && !(r.logprobs && c.logprobs)) continue;
          const lp = r.logprobs && c.logprobs ? completionLogprobs([c.logprobs], offset) : null;
          offset += lp ? c.logprobs!.sampled.text.length : 0;
          await sse.send(chunk(echo + c.text, null, null, lp));
          echo = '';
        }
        const result = await stream.result;
        const usage = openAiUsage(result.usage);
        await sse.send(chunk(echo, result.finishReason, r.includeUsage ? null : usage));
        if (r.includeUsage) await sse.send({ id, object: 'text_completion', created: t, model: modelId, choices: [], usage });
        await sse.done();
      });
    } catch (e) {
      await fail(res, sse, e, h);
    }
  };

  const generate: Handler = async (req, res, h) => {
    const r = generateRequest(await readJson(req, bodyLimit), limits);
    let sse: SseWriter | undefined;
    const summary = (x: GenerateResult) => ({
      finish_reason: x.finishReason,
      usage: { ...openAiUsage(x.usage) },
      timings: { prompt_ms: x.timings.promptMs, total_ms: x.timings.totalMs },
    });
    try {
      await inTurn(res, h, async (signal) => {
        const stream = model.generate(r.prompt, { ...r.options, signal });
        if (!r.stream) {
          for await (const _ of stream) {
            /* drain */
          }
          const x = await stream.result;
          sendJson(res, 200, { model: modelId, text: x.text, tokens: x.tokens, ...summary(x) }, h);
          return;
        }
        sse = new SseWriter(res, h);
        for await (const c of stream) await sse.send({ text: c.text, token: c.token });
        const x = await stream.result;
        await sse.send({ done: true, model: modelId, text: x.text, ...summary(x) });
        await sse.done();
      });
    } catch (e) {
      await fail(res, sse, e, h);
    }
  };

  const embeddings: Handler = async (req, res, h) => {
    const params = embeddingRequest(await readJson(req, bodyLimit), modelId);
    await inTurn(res, h, async (signal) => sendJson(res, 200, await model.embeddings.create(params, { signal }), h));
  };

  const modelObject = () => ({
    id: modelId,
    object: 'model',
    created,
    owned_by: 'wasm-chord',
    meta: {
      arch: model.info.arch,
      n_params: model.info.parameterCount,
      n_ctx: model.info.contextLength,
      n_ctx_train: model.info.nCtxTrain,
      n_vocab: model.info.nVocab,
      size: model.info.fileBytes,
    },
  });

  const routes: Record<string, Record<string, Handler>> = {
    '/v1/chat/completions': { POST: chat },
    '/v1/completions': { POST: completions },
    '/v1/generate': { POST: generate },
    '/v1/embeddings': { POST: embeddings },
    '/v1/models': { GET: async (_req, res, h) => sendJson(res, 200, { object: 'list', data: [modelObject()] }, h) },
    '/health': {
      GET: async (_req, res, h) =>
        sendJson(
          res,
          200,
          {
            status: closing ? 'shutting_down' : 'ok',
            model: modelId,
            queue: { running: queue.running ? 1 : 0, waiting: queue.pending },
            stats,
          },
          h,
        ),
    },
  };

  function route(method: string, rawPath: string): Handler | HttpError {
    let path = rawPath.replace(/\/+$/, '') || '/';
    if (!routes[path] && routes[`/v1${path}`]) path = `/v1${path}`; // llama.cpp also serves /chat/completions…
    const m = /^\/v1\/models\/(.+)$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      if (id !== modelId)
        return new HttpError(
          404,
          `The model '${id}' does not exist (this server has '${modelId}')`,
          'invalid_request_error',
          'model',
          'model_not_found',
        );
      return async (_req, res, h) => sendJson(res, 200, modelObject(), h);
    }
    const r = routes[path];
    if (!r) return new HttpError(404, `Unknown route ${method} ${rawPath}`, 'invalid_request_error', null, 'not_found');
    const handler = r[method];
    if (!handler)
      return new HttpError(
        405,
        `${method} is not allowed on ${path} (use ${Object.keys(r).join(', ')})`,
        'invalid_request_error',
        null,
        'method_not_allowed',
      );
    return handler;
  }

  const http = createHttpServer((req, res) => {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const h = corsHeaders(req, cors);
    // While shutting down, a connection that just finished its response is closed right away.
    res.on('finish', () => {
      if (closing) setImmediate(() => http.closeIdleConnections());
    });
    if (options.log)
      res.on('close', () =>
        options.log!(
          `${method} ${path} ${res.headersSent ? res.statusCode : '-'} ${(performance.now() - t0).toFixed(0)} ms${res.writableFinished ? '' : ' (client disconnected)'}`,
        ),
      );
    if (method === 'OPTIONS') {
      res.writeHead(204, h);
      res.end();
      return;
    }
    if (options.apiKey !== undefined && path !== '/health' && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendError(
        res,
        new HttpError(401, 'Incorrect or missing API key (Authorization: Bearer …)', 'invalid_request_error', null, 'invalid_api_key'),
        h,
      );
      return;
    }
    const handler = route(method, path);
    if (handler instanceof HttpError) {
      req.resume();
      sendError(res, handler, h);
      return;
    }
    handler(req, res, h).catch((e: unknown) => {
      req.resume();
      sendError(res, toHttpError(e), h);
    });
  });
  http.keepAliveTimeout = 5000;

  return {
    http,
    stats,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          const a = http.address() as AddressInfo;
          const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve(`http://${shown}:${a.port}`);
        });
      });
    },
    async close() {
      closing = true;
      const reason = new AbortError('the server is shutting down');
      queue.rejectAll(reason);
      for (const c of active) c.abort(reason);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}
