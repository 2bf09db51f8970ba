// Typed errors: every failure from the wasm runtime or the loader is a WasmChordError whose `code`
// names a chord::Code; cancellation is an AbortError (name === 'AbortError'). Both survive the
// worker boundary through serializeError/deserializeError.

/** chord::Code names (core/common/status.h), plus 'internal' for a trapped wasm instance (a bug),
 *  'quota_exceeded' for the browser's storage quota (model cache) and 'unauthorized' for a model
 *  host that wants credentials (HTTP 401/403, e.g. a private or gated Hugging Face repo). */
export type ChordErrorCode =
  | 'bad_gguf'
  | 'unsupported'
  | 'out_of_memory'
  | 'context_full'
  | 'aborted'
  | 'invalid_argument'
  | 'io_error'
  | 'not_found'
  | 'template_error'
  | 'quota_exceeded'
  | 'unauthorized'
  | 'internal';

const CODES: ReadonlySet<string> = new Set<ChordErrorCode>([
  'bad_gguf',
  'unsupported',
  'out_of_memory',
  'context_full',
  'aborted',
  'invalid_argument',
  'io_error',
  'not_found',
  'template_error',
  'quota_exceeded',
  'unauthorized',
  'internal',
]);

export class WasmChordError extends Error {
  readonly code: ChordErrorCode;
  constructor(code: ChordErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WasmChordError';
    this.code = code;
  }
}

/** Thrown when a signal aborts loading or generation. The model stays usable. */
export class AbortError extends WasmChordError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('aborted', message, options);
    this.name = 'AbortError';
  }
}

export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/** The error to throw for an aborted signal (keeps a custom reason as the cause). */
export function abortErrorFrom(signal: AbortSignal | undefined): AbortError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortError) return reason;
  const msg = reason instanceof Error && reason.name !== 'AbortError' ? `aborted: ${reason.message}` : 'The operation was aborted';
  return new AbortError(msg, reason === undefined ? undefined : { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFrom(signal);
}

/** What the Embind layer returns from every fallible call. */
export interface RawResult<T> {
  code: string;
  message: string;
  value?: T;
}

export function errorFromRaw(r: { code: string; message: string }): WasmChordError {
  const code = (CODES.has(r.code) ? r.code : 'internal') as ChordErrorCode;
  return code === 'aborted' ? new AbortError(r.message) : new WasmChordError(code, r.message);
}

export function unwrap<T>(r: RawResult<T>): T {
  if (r.code !== 'ok') throw errorFromRaw(r);
  return r.value as T;
}

/** Structured-clone-safe form of an error, for postMessage. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof WasmChordError) return { name: e.name, code: e.code, message: e.message, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  let e: Error;
  if (s.name === 'AbortError') e = new AbortError(s.message);
  else if (s.code !== undefined && CODES.has(s.code)) e = new WasmChordError(s.code as ChordErrorCode, s.message);
  else if (s.name === 'TypeError') e = new TypeError(s.message);
  else if (s.name === 'RangeError') e = new RangeError(s.message);
  else {
    e = new Error(s.message);
    e.name = s.name;
  }
  if (s.stack) e.stack = `${e.name}: ${e.message}\n    (in worker)\n${s.stack.split('\n').slice(1).join('\n')}`;
  return e;
}

/** Wraps anything thrown by the wasm instance itself (a trap is a bug, not bad input). */
export function wrapWasmFailure(e: unknown): Error {
  if (e instanceof WasmChordError) return e;
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError)
    return new WasmChordError('internal', `the wasm runtime trapped: ${e.message}`, { cause: e });
  if (e instanceof Error) return e;
  // Without exception support a C++ throw reaches JS as a bare pointer: a bug, not bad input.
  return new WasmChordError('internal', `the wasm runtime threw a C++ exception (${String(e)})`);
}
