// Turns the public camelCase generation options into the complete snake_case record the
// bindings read (every field present), validating what JS can get wrong (types, integers).
import { WasmChordError } from './errors.js';
import type { GenerateOptions } from './types.js';
import type { RawGenerateOptions } from './wasm.js';

export const DEFAULT_SAMPLING = {
  maxTokens: 256,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  penaltyLastN: 64,
} as const;

function bad(msg: string): WasmChordError {
  return new WasmChordError('invalid_argument', msg);
}

function num(name: string, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v)) throw bad(`${name} must be a number`);
  return v;
}

function int(name: string, v: unknown, dflt: number, min: number): number {
  const n = num(name, v, dflt);
  if (!Number.isInteger(n) || n < min || n > 2 ** 31 - 1) throw bad(`${name} must be an integer >= ${min}`);
  return n;
}

/** A 64-bit seed as two 32-bit halves; undefined or -1 draws a random one. */
export function splitSeed(seed: number | bigint | undefined): [number, number] {
  if (seed === undefined || seed === -1) {
    const r = (): number => Math.floor(Math.random() * 2 ** 32);
    return [r(), r()];
  }
  if (typeof seed === 'bigint') {
    const s = BigInt.asUintN(64, seed);
    return [Number(s >> 32n), Number(s & 0xffffffffn)];
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw bad('seed must be a non-negative safe integer, a bigint, or -1 for random');
  return [Math.floor(seed / 2 ** 32), seed % 2 ** 32];
}

export function toRawOptions(o: GenerateOptions, nVocab: number, extraStop: readonly string[] = []): RawGenerateOptions {
  const d = DEFAULT_SAMPLING;
  const [seed_hi, seed_lo] = splitSeed(o.seed);
  const bias: Array<[number, number]> = [];
  if (o.logitBias !== undefined && o.logitBias !== null) {
    const entries: ReadonlyArray<readonly [number | string, number]> = Array.isArray(o.logitBias)
      ? (o.logitBias as ReadonlyArray<readonly [number, number]>)
      : Object.entries(o.logitBias as Record<string, number>);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= nVocab) throw bad(`logitBias token ${String(k)} is outside the vocabulary (0..${nVocab - 1})`);
      if (typeof v !== 'number' || Number.isNaN(v)) throw bad(`logitBias value for token ${id} must be a number`);
      bias.push([id, v]);
    }
  }
  let stop: string[] = [];
  if (o.stop !== undefined && o.stop !== null) {
    stop = typeof o.stop === 'string' ? [o.stop] : [...o.stop];
    for (const s of stop) if (typeof s !== 'string' || s === '') throw bad('stop strings must be non-empty strings');
  }
  for (const s of extraStop) if (!stop.includes(s)) stop.push(s);
  return {
    max_tokens: int('maxTokens', o.maxTokens, d.maxTokens, 0),
    temperature: num('temperature', o.temperature, d.temperature),
    top_k: int('topK', o.topK, d.topK, 0),
    top_p: num('topP', o.topP, d.topP),
    min_p: num('minP', o.minP, d.minP),
    repeat_penalty: num('repeatPenalty', o.repeatPenalty, d.repeatPenalty),
    frequency_penalty: num('frequencyPenalty', o.frequencyPenalty, d.frequencyPenalty),
    presence_penalty: num('presencePenalty', o.presencePenalty, d.presencePenalty),
    penalty_last_n: int('penaltyLastN', o.penaltyLastN, d.penaltyLastN, -1),
    seed_hi,
    seed_lo,
    logit_bias: bias,
    stop,
    ignore_eos: o.ignoreEos === true,
  };
}
