// fetch() with the package's error mapping, for every URL it reads (models, cache resumes, wasm
// files, the CLI's header reader): a network failure is io_error (the cause kept), an abort is an
// AbortError with the signal's reason, HTTP 404 is not_found, 401/403 unauthorized and any other
// non-2xx io_error.
import { WasmChordError, abortErrorFrom } from './errors.js';

/** A Response that is ok (2xx) and has a body. */
export type OkResponse = Response & { body: ReadableStream<Uint8Array> };

/** GETs `url`; `signal` (else `init.signal`) aborts it. Throws WasmChordError or AbortError. */
export async function checkedFetch(url: string | URL, init?: RequestInit, signal?: AbortSignal): Promise<OkResponse> {
  const name = String(url);
  const sig = signal ?? init?.signal ?? undefined;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: sig ?? null });
  } catch (e) {
    if (sig?.aborted) throw abortErrorFrom(sig);
    // Node's fetch says only "fetch failed"; the reason (e.g. ECONNREFUSED) is its cause.
    const cause = (e as Error)?.cause;
    const why = cause instanceof Error ? `${(e as Error).message}: ${cause.message}` : ((e as Error)?.message ?? String(e));
    throw new WasmChordError('io_error', `fetch ${name} failed: ${why}`, { cause: e });
  }
  if (!res.ok) {
    res.body?.cancel().catch(() => {});
    const code = res.status === 404 ? 'not_found' : res.status === 401 || res.status === 403 ? 'unauthorized' : 'io_error';
    throw new WasmChordError(code, `fetch ${name}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  if (!res.body) throw new WasmChordError('io_error', `fetch ${name}: the response has no body`);
  return res as OkResponse;
}
