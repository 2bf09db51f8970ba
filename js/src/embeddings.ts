// Text embeddings: the option and OpenAI wire types, and the pure parts of model.embed() and
// model.embeddings.create(): input checking (text, texts, token ids) and the response in OpenAI's
// shape with encoding_format 'float' (number arrays) or 'base64' (little-endian float32 bytes).
// The vectors come from the engine (runtime/embed.h: output-normed hidden states, pooled).
import type { PromptInput } from './engine.js';
import { WasmChordError } from './errors.js';

/** How one text's token states become one vector: their mean, the first token's (CLS), or the
 *  last token's. Unset: the model's `<arch>.pooling_type`, mean when it has none. */
export type Pooling = 'mean' | 'cls' | 'last';
export const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'last'];

export interface EmbedOptions {
  pooling?: Pooling;
  /** Scale each vector to unit L2 length (default true, as llama.cpp and OpenAI). */
  normalize?: boolean;
  /** Aborts between texts (a text being evaluated finishes first). */
  signal?: AbortSignal;
}

/** What the engine is asked: inputs already in prompt form, options resolved. */
export interface EmbedRequest {
  inputs: PromptInput[];
  /** undefined: the model's pooling. */
  pooling: Pooling | undefined;
  normalize: boolean;
}

export interface EmbedOutput {
  embeddings: Float32Array[];
  /** Tokens evaluated over all inputs (BOS/EOS included). */
  promptTokens: number;
}

export interface EmbeddingCreateParams {
  /** A text, texts, one token-id array, or token-id arrays (OpenAI's four forms). */
  input: string | string[] | number[] | number[][];
  /** Echoed back; the loaded model is used whatever it says. */
  model?: string;
  encoding_format?: 'float' | 'base64';
  /** Not supported (the model's width is fixed); must be absent or the model's n_embd. */
  dimensions?: number;
  user?: string;
  /** Extensions: as EmbedOptions. */
  pooling?: Pooling;
  normalize?: boolean;
  signal?: AbortSignal;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  /** 'float': the numbers; 'base64': the float32 little-endian bytes in base64. */
  embedding: number[] | string;
}

export interface CreateEmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

const bad = (msg: string) => new WasmChordError('invalid_argument', msg);

function isTokenArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((t) => Number.isInteger(t));
}

/** OpenAI's `input` forms as prompts; text keeps special-token parsing as llama.cpp's server does. */
export function embedInputs(input: unknown): PromptInput[] {
  const text = (t: string): PromptInput => ({ kind: 'text', text: t, addSpecial: true, parseSpecial: true });
  if (typeof input === 'string') return [text(input)];
  if (!Array.isArray(input) || input.length === 0) throw bad('input must be a string, a non-empty array of strings, or token-id arrays');
  if (isTokenArray(input)) return [{ kind: 'tokens', tokens: Array.from(input) }];
  return input.map((v, i) => {
    if (typeof v === 'string') return text(v);
    if (isTokenArray(v) && v.length > 0) return { kind: 'tokens', tokens: Array.from(v) } as PromptInput;
    throw bad(`input[${i}] must be a string or a non-empty array of integer token ids`);
  });
}

/** Checks and fills EmbedOptions. */
export function embedRequest(inputs: PromptInput[], opts: { pooling?: unknown; normalize?: unknown }): EmbedRequest {
  if (opts.pooling !== undefined && !POOLINGS.includes(opts.pooling as Pooling))
    throw bad(`pooling must be one of ${POOLINGS.join(', ')}, got ${JSON.stringify(opts.pooling)}`);
  if (opts.normalize !== undefined && typeof opts.normalize !== 'boolean') throw bad('normalize must be a boolean');
  return { inputs, pooling: opts.pooling as Pooling | undefined, normalize: opts.normalize ?? true };
}

/** float32 little-endian bytes in base64 (what OpenAI's encoding_format 'base64' carries). */
export function float32Base64(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const dv = new DataView(bytes.buffer);
  v.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The OpenAI response for `out`. */
export function embeddingResponse(out: EmbedOutput, format: unknown, model: string): CreateEmbeddingResponse {
  if (format != null && format !== 'float' && format !== 'base64')
    throw bad(`encoding_format must be 'float' or 'base64', got ${JSON.stringify(format)}`);
  return {
    object: 'list',
    data: out.embeddings.map((e, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'base64' ? float32Base64(e) : Array.from(e),
    })),
    model,
    usage: { prompt_tokens: out.promptTokens, total_tokens: out.promptTokens },
  };
}
