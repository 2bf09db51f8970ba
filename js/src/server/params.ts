// Request validation for the server: checks each OpenAI field's type and range and names the
// offending field in a 400 (param), then maps the request onto the package's options.
import type { ChatCompletionCreateParams, ChatMessage } from '../chat-types.js';
import type { GenerateOptions } from '../types.js';
import { badRequest } from './http.js';

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

function stopParam(body: Body): string[] | undefined {
  if (!present(body, 'stop')) return undefined;
  const v = body.stop;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))
    throw badRequest(`'stop' must be a string or an array of strings, got ${typeName(v)}`, 'stop', 'invalid_type');
  if (list.length > 16) throw badRequest(`'stop' may hold at most 16 strings, got ${list.length}`, 'stop', 'invalid_value');
  const strings = (list as string[]).filter((s) => s !== '');
  return strings.length ? strings : undefined;
}

function logitBias(body: Body): Record<string, number> | undefined {
  const o = optObject(body, 'logit_bias');
  if (!o) return undefined;
  for (const [k, v] of Object.entries(o)) {
    if (!/^\d+$/.test(k)) throw badRequest(`'logit_bias' keys must be token ids, got '${k}'`, 'logit_bias', 'invalid_value');
    if (typeof v !== 'number' || Number.isNaN(v)) throw badRequest(`'logit_bias' values must be numbers (token ${k})`, 'logit_bias', 'invalid_type');
  }
  return o as Record<string, number>;
}

function unsupported(body: Body, key: string, ok: (v: unknown) => boolean, what: string): void {
  if (present(body, key) && !ok(body[key])) throw badRequest(`${what} is not supported by this server`, key, 'unsupported');
}

/** The sampling fields every endpoint shares (OpenAI's plus llama.cpp's top_k, min_p, repeat_penalty). */
export function sampling(body: Body): GenerateOptions {
  const seed = optInt(body, 'seed', -1);
  return {
    temperature: optNumber(body, 'temperature', 0),
    topP: optNumber(body, 'top_p', 0, 1),
    topK: optInt(body, 'top_k', 0),
    minP: optNumber(body, 'min_p', 0, 1),
    repeatPenalty: optNumber(body, 'repeat_penalty', 0),
    penaltyLastN: optInt(body, 'repeat_last_n', -1) ?? optInt(body, 'penalty_last_n', -1),
    frequencyPenalty: optNumber(body, 'frequency_penalty', -2, 2),
    presencePenalty: optNumber(body, 'presence_penalty', -2, 2),
    seed,
    stop: stopParam(body),
    logitBias: logitBias(body),
  };
}

/** Server-wide limits the requests are resolved against. */
export interface Limits {
  /** The model's context length: what -1 ("until the context is full") means. */
  contextLength: number;
  /** max_tokens for requests that give none (undefined: the endpoint's own default). */
  defaultMaxTokens: number | undefined;
}

/** max_tokens (or an alias); -1 means "until the context is full". */
function maxTokens(body: Body, keys: string[], limits: Limits, endpointDefault: number): number {
  for (const k of keys) {
    const v = optInt(body, k, -1);
    if (v !== undefined) return v === -1 ? limits.contextLength : v;
  }
  const d = limits.defaultMaxTokens ?? endpointDefault;
  return d === -1 ? limits.contextLength : d;
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
    if (typeof msg.role !== 'string' || msg.role === '') throw badRequest(`'${at}.role' must be a non-empty string`, `${at}.role`, 'invalid_type');
    const c = msg.content;
    if (Array.isArray(c)) {
      c.forEach((p: unknown, j) => {
        const pat = `${at}.content[${j}]`;
        if (typeof p !== 'object' || p === null) throw badRequest(`'${pat}' must be an object`, pat, 'invalid_type');
        const part = p as Body;
        if (part.type !== 'text') throw badRequest(`'${pat}': only text content parts are supported (got type ${JSON.stringify(part.type)})`, pat, 'unsupported');
        if (typeof part.text !== 'string') throw badRequest(`'${pat}.text' must be a string`, `${pat}.text`, 'invalid_type');
      });
    } else if (c !== undefined && c !== null && typeof c !== 'string') {
      throw badRequest(`'${at}.content' must be a string, an array of text parts, or null`, `${at}.content`, 'invalid_type');
    }
    if (msg.name !== undefined && typeof msg.name !== 'string') throw badRequest(`'${at}.name' must be a string`, `${at}.name`, 'invalid_type');
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
  unsupported(body, 'tools', (v) => Array.isArray(v) && v.length === 0, 'tools (function calling)');
  unsupported(body, 'functions', (v) => Array.isArray(v) && v.length === 0, 'functions (function calling)');
  unsupported(body, 'tool_choice', (v) => v === 'none' || v === 'auto', 'tool_choice');
  unsupported(body, 'logprobs', (v) => v === false, 'logprobs');
  unsupported(body, 'top_logprobs', (v) => v === 0, 'top_logprobs');
  unsupported(body, 'response_format', (v) => typeof v === 'object' && v !== null && (v as Body).type === 'text', 'a response_format other than text');
  const s = sampling(body);
  const { stream, includeUsage } = streamOptions(body);
  const max = maxTokens(body, ['max_completion_tokens', 'max_tokens', 'n_predict'], limits, -1);
  const kwargs = optObject(body, 'chat_template_kwargs');
  const params: ChatCompletionCreateParams = {
    messages: msgs,
    model,
    max_tokens: max,
    temperature: s.temperature,
    top_p: s.topP,
    top_k: s.topK,
    min_p: s.minP,
    repeat_penalty: s.repeatPenalty,
    frequency_penalty: s.frequencyPenalty,
    presence_penalty: s.presencePenalty,
    stop: s.stop,
    seed: s.seed as number | undefined,
    logit_bias: s.logitBias as Record<string, number> | undefined,
    chat_template: optString(body, 'chat_template'),
    chat_template_kwargs: kwargs,
    stream,
  } as ChatCompletionCreateParams;
  return { params, stream, includeUsage };
}

export interface CompletionRequest {
  /** Text, or token ids used as they are. */
  prompt: string | number[];
  echo: boolean;
  options: GenerateOptions;
  stream: boolean;
  includeUsage: boolean;
}

function promptParam(body: Body): string | number[] {
  if (!present(body, 'prompt')) throw badRequest("'prompt' is required", 'prompt', 'missing_required_parameter');
  let p = body.prompt;
  // A batch of one prompt is the same as the prompt.
  if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
  if (typeof p === 'string') return p;
  if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x) && (x as number) >= 0)) return p as number[];
  if (Array.isArray(p) && p.length > 1) throw badRequest("only one prompt per request is supported", 'prompt', 'unsupported');
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
  unsupported(body, 'logprobs', (v) => v === 0, 'logprobs');
  const echo = optBool(body, 'echo') ?? false;
  const { stream, includeUsage } = streamOptions(body);
  // OpenAI's default for completions is 16 tokens.
  const max = maxTokens(body, ['max_tokens', 'n_predict'], limits, 16);
  return { prompt, echo, options: { ...sampling(body), maxTokens: max }, stream, includeUsage };
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
      ...sampling(body),
      maxTokens: maxTokens(body, ['max_tokens', 'n_predict'], limits, 256),
      ignoreEos: optBool(body, 'ignore_eos'),
      addSpecial: optBool(body, 'add_special'),
      parseSpecial: optBool(body, 'parse_special'),
    },
  };
}
