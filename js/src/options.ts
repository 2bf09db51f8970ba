// Generation options on the TS side. One table (FIELDS) maps each public camelCase option onto the
// C++ options record (runtime/options.h, sent as JSON with llama.cpp-server field names) and onto
// OpenAI / llama.cpp request fields, so generate(), chat.completions, the server and the CLI read
// and validate options the same way. Defaults live only in C++: omitted fields are not sent.
// A new option: a field in runtime/options.h, one FIELDS entry here, one field in GenerateOptions.
import { WasmChordError } from './errors.js';
import type { GenerateOptions } from './types.js';

/** The C++ record as it crosses into wasm (every field optional: C++ fills the defaults). */
export interface GenerationRecord {
  max_tokens?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repeat_penalty?: number;
  repeat_last_n?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Decimal string: a 64-bit seed does not fit a JSON number. */
  seed?: string;
  /** [token id, bias]; -Infinity bans a token. */
  logit_bias?: Array<[number, number]>;
  stop?: string[];
  ignore_eos?: boolean;
  logprobs?: boolean;
  top_logprobs?: number;
  /** GBNF text. */
  grammar?: string;
  /** JSON Schema as JSON text. */
  json_schema?: string;
  context_shift?: boolean;
  n_keep?: number;
  n_discard?: number;
}

/** Makes the error for a bad option; the server answers a 400 naming `param`. */
export type OptionError = (message: string, param: string, code: 'invalid_type' | 'invalid_value') => Error;
const libraryError: OptionError = (message) => new WasmChordError('invalid_argument', message);

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

interface Check {
  name: string; // as the caller spelled it
  nVocab?: number;
  fail: OptionError;
}

type Field = {
  /** The public option. */
  key: keyof GenerateOptions;
  /** The record field and OpenAI / llama.cpp request name. */
  wire: keyof GenerationRecord;
  /** Other request names accepted for it, in priority order after `wire`. */
  aliases?: readonly string[];
  /** Checks a given value (never undefined/null) and converts it to the record's form. */
  convert: (v: unknown, c: Check) => unknown;
};

function number(min = -Infinity, max = Infinity, integer = false) {
  return (v: unknown, c: Check): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw c.fail(`'${c.name}' must be a number, got ${typeName(v)}`, c.name, 'invalid_type');
    if (integer && !Number.isInteger(v)) throw c.fail(`'${c.name}' must be an integer, got ${v}`, c.name, 'invalid_type');
    if (v < min || v > max) throw c.fail(`'${c.name}' must be between ${min} and ${max}, got ${v}`, c.name, 'invalid_value');
    return v;
  };
}
const int = (min: number, max = 2 ** 31 - 1) => number(min, max, true);

function bool(v: unknown, c: Check): boolean {
  if (typeof v !== 'boolean') throw c.fail(`'${c.name}' must be a boolean, got ${typeName(v)}`, c.name, 'invalid_type');
  return v;
}

/** A 64-bit seed as a decimal string; -1 draws a random one (as llama.cpp's -1). */
function seed(v: unknown, c: Check): string {
  if (v === -1 || v === -1n) return String(crypto.getRandomValues(new BigUint64Array(1))[0]);
  if (typeof v === 'bigint') return String(BigInt.asUintN(64, v));
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw c.fail(
      `'${c.name}' must be a non-negative safe integer, a bigint, or -1 for random`,
      c.name,
      typeof v === 'number' ? 'invalid_value' : 'invalid_type',
    );
  return String(v);
}

function stop(v: unknown, c: Check): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))
    throw c.fail(`'${c.name}' must be a string or an array of strings, got ${typeName(v)}`, c.name, 'invalid_type');
  if (list.length > 16) throw c.fail(`'${c.name}' may hold at most 16 strings, got ${list.length}`, c.name, 'invalid_value');
  if (list.includes('')) throw c.fail(`'${c.name}' strings must not be empty`, c.name, 'invalid_value');
  return list as string[];
}

/** `{id: bias}` (OpenAI) or `[[id, bias]]`. */
function logitBias(v: unknown, c: Check): Array<[number, number]> {
  if (typeof v !== 'object' || v === null)
    throw c.fail(`'${c.name}' must be an object of {token id: bias}, got ${typeName(v)}`, c.name, 'invalid_type');
  const entries: ReadonlyArray<readonly [unknown, unknown]> = Array.isArray(v) ? v : Object.entries(v);
  return entries.map(([k, b]): [number, number] => {
    const id = typeof k === 'string' && /^\d+$/.test(k) ? Number(k) : k;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || (c.nVocab !== undefined && id >= c.nVocab)) {
      const range = c.nVocab !== undefined ? ` (0..${c.nVocab - 1})` : '';
      throw c.fail(`'${c.name}' keys must be token ids${range}, got '${String(k)}'`, c.name, 'invalid_value');
    }
    if (typeof b !== 'number' || Number.isNaN(b)) throw c.fail(`'${c.name}' values must be numbers (token ${id})`, c.name, 'invalid_type');
    return [id, b];
  });
}

function text(v: unknown, c: Check): string {
  if (typeof v !== 'string') throw c.fail(`'${c.name}' must be a string, got ${typeName(v)}`, c.name, 'invalid_type');
  return v;
}

/** A schema object (or boolean) as JSON text; a string is taken as the text. */
function schema(v: unknown, c: Check): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'boolean' && (typeof v !== 'object' || Array.isArray(v)))
    throw c.fail(`'${c.name}' must be a JSON Schema object, got ${typeName(v)}`, c.name, 'invalid_type');
  return JSON.stringify(v);
}

const FIELDS: readonly Field[] = [
  { key: 'maxTokens', wire: 'max_tokens', aliases: ['n_predict'], convert: int(0) },
  { key: 'temperature', wire: 'temperature', convert: number(0) },
  { key: 'topK', wire: 'top_k', convert: int(0) },
  { key: 'topP', wire: 'top_p', convert: number(0, 1) },
  { key: 'minP', wire: 'min_p', convert: number(0, 1) },
  { key: 'repeatPenalty', wire: 'repeat_penalty', convert: number(0) },
  { key: 'penaltyLastN', wire: 'repeat_last_n', aliases: ['penalty_last_n'], convert: int(-1) },
  { key: 'frequencyPenalty', wire: 'frequency_penalty', convert: number(-2, 2) },
  { key: 'presencePenalty', wire: 'presence_penalty', convert: number(-2, 2) },
  { key: 'seed', wire: 'seed', convert: seed },
  { key: 'logitBias', wire: 'logit_bias', convert: logitBias },
  { key: 'stop', wire: 'stop', convert: stop },
  { key: 'ignoreEos', wire: 'ignore_eos', convert: bool },
  { key: 'logprobs', wire: 'logprobs', convert: bool },
  { key: 'topLogprobs', wire: 'top_logprobs', convert: int(0, 100) },
  { key: 'grammar', wire: 'grammar', convert: text },
  { key: 'jsonSchema', wire: 'json_schema', convert: schema },
  { key: 'contextShift', wire: 'context_shift', convert: bool },
  { key: 'nKeep', wire: 'n_keep', convert: int(-1) },
  { key: 'nDiscard', wire: 'n_discard', convert: int(0) },
];

const given = (v: unknown): boolean => v !== undefined && v !== null;

/** The public options as the record C++ reads (validated; `extraStop` appended). A seed is always
 *  sent: omitted means random, as in llama.cpp. */
export function toRecord(o: GenerateOptions, nVocab: number, extraStop: readonly string[] = [], fail = libraryError): GenerationRecord {
  const rec: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = o[f.key];
    if (given(v)) rec[f.wire] = f.convert(v, { name: f.key, nVocab, fail });
  }
  rec.seed ??= seed(-1, { name: 'seed', fail });
  if (extraStop.length) rec.stop = [...new Set([...((rec.stop as string[] | undefined) ?? []), ...extraStop])];
  return rec as GenerationRecord;
}

/** OpenAI's response_format as a JSON Schema: json_object = any object (llama.cpp: `{}`, or its
 *  `schema`), json_schema = its `json_schema.schema`; text or none = undefined. */
function responseFormatSchema(rf: unknown, fail: OptionError): Record<string, unknown> | undefined {
  if (rf === undefined || rf === null) return undefined;
  const bad = (m: string): Error => fail(`'response_format' ${m}`, 'response_format', 'invalid_value');
  if (typeof rf !== 'object' || Array.isArray(rf))
    throw fail(`'response_format' must be an object, got ${typeName(rf)}`, 'response_format', 'invalid_type');
  const r = rf as Record<string, unknown>;
  if (r.type === 'text') return undefined;
  if (r.type === 'json_object') {
    if (r.schema === undefined || r.schema === null) return {};
    if (typeof r.schema !== 'object' || Array.isArray(r.schema)) throw bad('schema must be an object');
    return r.schema as Record<string, unknown>;
  }
  if (r.type === 'json_schema') {
    const js = r.json_schema;
    if (typeof js !== 'object' || js === null || Array.isArray(js)) throw bad("of type 'json_schema' needs a 'json_schema' object");
    const s = (js as Record<string, unknown>).schema;
    if (s === undefined || s === null) return {};
    if (typeof s !== 'object' || Array.isArray(s)) throw bad('json_schema.schema must be an object');
    return s as Record<string, unknown>;
  }
  throw bad(`type must be 'text', 'json_object' or 'json_schema', got ${JSON.stringify(r.type)}`);
}

/** What a request's `max_tokens: -1` (llama.cpp's "until the context is full") and an omitted one mean. */
export interface RequestLimits {
  contextLength: number;
  /** For requests that give none; -1 = the context length; undefined = the runtime's default. */
  defaultMaxTokens?: number;
}

/** Generation options from an OpenAI / llama.cpp-style request (snake_case fields; OpenAI's
 *  max_completion_tokens first). Errors name the request field. */
export function optionsFromRequest(body: Record<string, unknown>, limits: RequestLimits, fail = libraryError): GenerateOptions {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const names = f.key === 'maxTokens' ? ['max_completion_tokens', f.wire, ...(f.aliases ?? [])] : [f.wire, ...(f.aliases ?? [])];
    const name = names.find((n) => given(body[n]));
    if (name === undefined) continue;
    let v = body[name];
    if (f.key === 'stop' && Array.isArray(v)) v = v.filter((s) => s !== ''); // OpenAI clients send '' for "none"
    if (f.key === 'stop' && v === '') continue;
    // A request's -1 means "until the context is full" (max tokens) or "random" (seed).
    if (f.key === 'maxTokens' && v === -1) out.maxTokens = limits.contextLength;
    else {
      const converted = f.convert(v, { name, fail });
      out[f.key] = f.key === 'seed' ? v : converted; // the public seed is a number or bigint
    }
  }
  const format = responseFormatSchema(body.response_format, fail);
  if (format !== undefined) {
    if (out.grammar !== undefined || out.jsonSchema !== undefined)
      throw fail("'response_format' cannot be combined with 'grammar' or 'json_schema'", 'response_format', 'invalid_value');
    out.jsonSchema = format;
  }
  if (out.maxTokens === undefined && limits.defaultMaxTokens !== undefined)
    out.maxTokens = limits.defaultMaxTokens === -1 ? limits.contextLength : limits.defaultMaxTokens;
  return out as GenerateOptions;
}
