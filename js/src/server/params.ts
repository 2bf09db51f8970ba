// Request validation for the server: checks each OpenAI field's type and range and names the
// offending field in a 400 (param), then maps the request onto the package's options.
import type { ChatCompletionCreateParams, ChatMessage } from '../chat-types.js';
import { optionsFromRequest } from '../options.js';
import type { GenerateOptions } from '../types.js';
import { badRequest } from './http.js';
import { POOLINGS, embedInputs, type EmbeddingCreateParams } from '../embeddings.js';
import { WasmChordError } from '../errors.js';

type Body = Record<string, unknown>;

function present(body: Body, key: string): boolean {
  return body[key] !== undefined && body[key] !== null;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export function optNumber(body: Body, key: string, min = -Infinity, max = Infinity): number | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`'${key}' must be a number, got ${typeName(v)}`, key, 'invalid_type');
  if (v < min || v > max) throw badRequest(`'${key}' must be between ${min} and ${max}, got ${v}`, key, 'invalid_value');
  return v;
}

export function optInt(body: Body, key: string, min = -Infinity, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = optNumber(body, key, min, max);
  if (v !== undefined && !Number.isInteger(v)) throw badRequest(`'${key}' must be an integer, got ${v}`, key, 'invalid_type');
  return v;
}

export function optBool(body: Body, key: string): boolean | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'boolean') throw badRequest(`'${key}' must be a boolean, got ${typeName(v)}`, key, 'invalid_type');
  return v;
}

export function optString(body: Body, key: string): string | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'string') throw badRequest(`'${key}' must be a string, got ${typeName(v)}`, key, 'invalid_type');
  return v;
}

function optObject(body: Body, key: string): Body | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`'${key}' must be an object, got ${typeName(v)}`, key, 'invalid_type');
  return v as Body;
}

function unsupported(body: Body, key: string, ok: (v: unknown) => boolean, what: string): void {
  if (present(body, key) && !ok(body[key])) throw badRequest(`${what} is not supported by this server`, key, 'unsupported');
}

/** Server-wide limits the requests are resolved against: the model's context length (what -1,
 *  "until the context is full", means) and the max_tokens for requests that give none. */
export interface Limits {
  contextLength: number;
  /** undefined: the endpoint's own default (-1 = the context length). */
  defaultMaxTokens: number | undefined;
}

/** The generation options of any endpoint, validated with errors naming the request field. */
function generation(body: Body, limits: Limits, endpointDefault: number): GenerateOptions {
  const defaultMaxTokens = limits.defaultMaxTokens ?? endpointDefault;
  return optionsFromRequest(body, { contextLength: limits.contextLength, defaultMaxTokens }, badRequest);
}

function streamOptions(body: Body): { stream: boolean; includeUsage: boolean } {
  const stream = optBool(body, 'stream') ?? false;
  const so = optObject(body, 'stream_options');
  let includeUsage = false;
  if (so) {
    if (!stream) throw badRequest("'stream_options' is only allowed with 'stream': true", 'stream_options', 'invalid_value');
    includeUsage = optBool(so, 'include_usage') ?? false;
  }
  return { stream, includeUsage };
}

function checkN(body: Body): void {
  const n = optInt(body, 'n', 1);
  if (n !== undefined && n !== 1) throw badRequest("only 'n': 1 is supported", 'n', 'unsupported');
}

function messages(body: Body): ChatMessage[] {
  if (!present(body, 'messages')) throw badRequest("'messages' is required", 'messages', 'missing_required_parameter');
  const list = body.messages;
  if (!Array.isArray(list)) throw badRequest(`'messages' must be an array, got ${typeName(list)}`, 'messages', 'invalid_type');
  if (list.length === 0) throw badRequest("'messages' must not be empty", 'messages', 'invalid_value');
  return list.map((m: unknown, i): ChatMessage => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badRequest(`'${at}' must be an object`, at, 'invalid_type');
    const msg = m as Body;
    if (typeof msg.role !== 'string' || msg.role === '')
      throw badRequest(`'${at}.role' must be a non-empty string`, `${at}.role`, 'invalid_type');
    const c = msg.content;
    if (Array.isArray(c)) {
      c.forEach((p: unknown, j) => {
        const pat = `${at}.content[${j}]`;
        if (typeof p !== 'object' || p === null) throw badRequest(`'${pat}' must be an object`, pat, 'invalid_type');
        const part = p as Body;
        if (part.type !== 'text')
          throw badRequest(`'${pat}': only text content parts are supported (got type ${JSON.stringify(part.type)})`, pat, 'unsupported');
        if (typeof part.text !== 'string') throw badRequest(`'${pat}.text' must be a string`, `${pat}.text`, 'invalid_type');
      });
    } else if (c !== undefined && c !== null && typeof c !== 'string') {
      throw badRequest(`'${at}.content' must be a string, an array of text parts, or null`, `${at}.content`, 'invalid_type');
    }
    if (msg.name !== undefined && typeof msg.name !== 'string')
      throw badRequest(`'${at}.name' must be a string`, `${at}.name`, 'invalid_type');
    return msg as ChatMessage;
  });
}

export interface ChatRequest {
  params: ChatCompletionCreateParams;
  stream: boolean;
  includeUsage: boolean;
}

export function chatRequest(body: Body, model: string, limits: Limits): ChatRequest {
  const msgs = messages(body);
  optString(body, 'model');
  optString(body, 'user');
  checkN(body);
  unsupported(body, 'functions', (v) => Array.isArray(v) && v.length === 0, 'functions (function calling)');
  const { stream, includeUsage } = streamOptions(body);
  const options = generation(body, limits, -1);
  optString(body, 'chat_template');
  optObject(body, 'chat_template_kwargs');
  // The request goes on as it came (every generation field included), with max tokens resolved.
  const params = {
    ...body,
    messages: msgs,
    model,
    stream,
    max_tokens: options.maxTokens,
    max_completion_tokens: undefined,
    n_predict: undefined,
  } as unknown as ChatCompletionCreateParams;
  return { params, stream, includeUsage };
}

export interface CompletionRequest {
  /** Text, or token ids used as they are. */
  prompt: string | number[];
  echo: boolean;
  options: GenerateOptions;
  stream: boolean;
  includeUsage: boolean;
  /** Report the legacy `logprobs` object per choice. */
  logprobs: boolean;
}

function promptParam(body: Body): string | number[] {
  if (!present(body, 'prompt')) throw badRequest("'prompt' is required", 'prompt', 'missing_required_parameter');
  let p = body.prompt;
  // A batch of one prompt is the same as the prompt.
  if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
  if (typeof p === 'string') return p;
  if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x) && (x as number) >= 0)) return p as number[];
  if (Array.isArray(p) && p.length > 1) throw badRequest('only one prompt per request is supported', 'prompt', 'unsupported');
  throw badRequest("'prompt' must be a string or an array of token ids", 'prompt', 'invalid_type');
}

export function completionRequest(body: Body, limits: Limits): CompletionRequest {
  const prompt = promptParam(body);
  optString(body, 'model');
  optString(body, 'user');
  checkN(body);
  const bestOf = optInt(body, 'best_of', 1);
  if (bestOf !== undefined && bestOf !== 1) throw badRequest("only 'best_of': 1 is supported", 'best_of', 'unsupported');
  unsupported(body, 'suffix', (v) => v === '', 'suffix');
  // Legacy logprobs: an integer, the number of most likely tokens reported per step (OpenAI: 0..5).
  const logprobs = optInt(body, 'logprobs', 0, 20);
  const echo = optBool(body, 'echo') ?? false;
  if (echo && logprobs !== undefined) unsupported(body, 'logprobs', () => false, "'logprobs' with 'echo' (prompt logprobs)");
  const { stream, includeUsage } = streamOptions(body);
  // OpenAI's default for completions is 16 tokens.
  const options = generation({ ...body, logprobs: undefined }, limits, 16);
  if (logprobs !== undefined) Object.assign(options, { logprobs: true, topLogprobs: logprobs });
  return { prompt, echo, options, stream, includeUsage, logprobs: logprobs !== undefined };
}

export interface GenerateRequest {
  prompt: string | number[];
  options: GenerateOptions;
  stream: boolean;
}

/** POST /v1/generate: the package's generate() over HTTP (llama.cpp-style names accepted). */
export function generateRequest(body: Body, limits: Limits): GenerateRequest {
  const prompt = promptParam(body);
  const stream = optBool(body, 'stream') ?? true;
  return {
    prompt,
    stream,
    options: {
      ...generation(body, limits, 256),
      addSpecial: optBool(body, 'add_special'),
      parseSpecial: optBool(body, 'parse_special'),
    },
  };
}

/** POST /v1/embeddings: OpenAI's fields (input, encoding_format, dimensions, model, user) plus
 *  the pooling and normalize extensions, checked here so a bad request never waits in the queue. */
export function embeddingRequest(body: Body, model: string): EmbeddingCreateParams {
  if (!present(body, 'input')) throw badRequest("'input' is required", 'input', 'missing_required_parameter');
  try {
    embedInputs(body.input);
  } catch (e) {
    throw e instanceof WasmChordError ? badRequest(e.message, 'input', 'invalid_value') : e;
  }
  optString(body, 'user');
  optString(body, 'model');
  const format = optString(body, 'encoding_format');
  if (format !== undefined && format !== 'float' && format !== 'base64')
    throw badRequest(`'encoding_format' must be 'float' or 'base64', got '${format}'`, 'encoding_format', 'invalid_value');
  const pooling = optString(body, 'pooling');
  if (pooling !== undefined && !POOLINGS.includes(pooling as never))
    throw badRequest(`'pooling' must be one of ${POOLINGS.join(', ')}, got '${pooling}'`, 'pooling', 'invalid_value');
  return {
    input: body.input as EmbeddingCreateParams['input'],
    model,
    encoding_format: format as EmbeddingCreateParams['encoding_format'],
    dimensions: optInt(body, 'dimensions', 1),
    pooling: pooling as EmbeddingCreateParams['pooling'],
    normalize: optBool(body, 'normalize'),
  };
}
