// HTTP plumbing for the OpenAI-compatible server: OpenAI-style error bodies, JSON bodies with a
// size limit, CORS headers, and a Server-Sent Events writer that respects backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WasmChordError, isAbortError } from '../errors.js';

/** An error answered as {error: {message, type, param, code}} with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function badRequest(message: string, param: string | null = null, code: string | null = null): HttpError {
  return new HttpError(400, message, 'invalid_request_error', param, code);
}

/** What a failure from the package means for the client. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (isAbortError(e))
    return new HttpError(503, 'the request was cancelled (the server is shutting down)', 'server_error', null, 'cancelled');
  if (e instanceof WasmChordError) {
    switch (e.code) {
      case 'invalid_argument':
        return badRequest(e.message);
      case 'unsupported':
        return badRequest(e.message, null, 'unsupported');
      case 'template_error':
        return badRequest(`chat template: ${e.message}`, null, 'template_error');
      case 'context_full':
        return badRequest(e.message, null, 'context_length_exceeded');
      default:
        return new HttpError(500, e.message, 'server_error', null, e.code);
    }
  }
  return new HttpError(500, e instanceof Error ? e.message : String(e), 'server_error');
}

export interface CorsOptions {
  /** Access-Control-Allow-Origin value; null disables CORS headers. */
  origin: string | null;
}

export function corsHeaders(req: IncomingMessage, cors: CorsOptions): Record<string, string> {
  if (cors.origin === null) return {};
  const h: Record<string, string> = {
    'Access-Control-Allow-Origin': cors.origin,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': (req.headers['access-control-request-headers'] as string | undefined) ?? 'Content-Type, Authorization',
    'Access-Control-Max-Age': '86400',
    'Access-Control-Expose-Headers': 'X-Wasm-Chord-Turn',
  };
  if (cors.origin !== '*') h.Vary = 'Origin';
  return h;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(data)),
  });
  res.end(data);
}

export function sendError(res: ServerResponse, e: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, e.body(), headers);
}

/** Reads and parses a JSON object body (at most `limit` bytes). */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw new HttpError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).byteLength;
    if (size > limit)
      throw new HttpError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
    parts.push(c as Buffer);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; expected a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Writes `data: <json>\n\n` events; write() waits while the client is slow (or resolves once it is gone). */
export class SseWriter {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string>,
  ) {}

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, {
      ...this.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.flushHeaders();
  }

  async send(data: unknown): Promise<void> {
    await this.raw(`data: ${JSON.stringify(data)}\n\n`);
  }

  async raw(chunk: string): Promise<void> {
    if (!this.open) return;
    this.start();
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Ends the stream with `data: [DONE]`. */
  async done(): Promise<void> {
    await this.raw('data: [DONE]\n\n');
    if (this.open) this.res.end();
  }

  /** Reports a failure: as an error status if nothing was sent yet, else as an error event. */
  async fail(e: HttpError): Promise<void> {
    if (!this.started) {
      sendError(this.res, e, this.headers);
      return;
    }
    await this.send(e.body());
    if (this.open) this.res.end();
  }
}
