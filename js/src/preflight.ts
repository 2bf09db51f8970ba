// Sizing a model before its weights are read: each part's header (a Range request for a URL, a
// slice of a Blob or file) goes to the runtime's own context planner (Context::plan, the check
// Context::create makes), so a context that cannot fit fails with the exact sizes before a
// multi-GB download starts, not after it.
import { WasmChordError, unwrap } from './errors.js';
import { formatBytes } from './format.js';
import { headerBytes, type PrefixSource } from './gguf/header.js';
import type { PartReader } from './sources.js';
import type { RawModule } from './wasm.js';

// Room left for the KV cache, scratch and the allocator when checking a model against the heap.
const HEAP_RESERVE = 64 << 20;
/** The Memory64 build's heap limit (CHORD_MAX_MEMORY in CMakeLists.txt: V8's Memory64 maximum). */
const MEMORY64_HEAP_MAX = 16 * 2 ** 30;

export interface PartHeader {
  bytes: Uint8Array;
  size: number;
}

/** Each part's header source (its first response in, so its size is known), or undefined for a
 *  part that cannot give one cheaply (a cached URL): the checks then run as the model loads. */
export async function openHeaders(readers: PartReader[], signal?: AbortSignal): Promise<Array<PrefixSource | undefined>> {
  const srcs = await Promise.allSettled(readers.map(async (r) => r.header?.(signal)));
  const bad = srcs.find((s) => s.status === 'rejected');
  if (bad) {
    for (const s of srcs) if (s.status === 'fulfilled') await s.value?.close();
    throw (bad as PromiseRejectedResult).reason;
  }
  return srcs.map((s) => (s as PromiseFulfilledResult<PrefixSource | undefined>).value);
}

/** Checks the model's size against the heap as soon as every part's size is known, then reads the
 *  headers and checks the model and its context (what loading would throw: out_of_memory with the
 *  sizes, unsupported, bad_gguf). Closes the sources. */
export async function preflight(
  mod: RawModule,
  srcs: Array<PrefixSource | undefined>,
  opts: { contextLength: number; batchSize: number; threads: number; backend?: 'cpu' | 'webgpu'; memory64Unavailable?: string },
): Promise<void> {
  let goOn = false; // whether the load goes on: sources keep what open() can reuse
  try {
    if (srcs.some((s) => s?.size === undefined)) return void (goOn = true);
    checkModelFits(
      mod,
      srcs.reduce((n, s) => n + s!.size!, 0),
      opts.memory64Unavailable,
    );
    const heads: PartHeader[] = [];
    for (const s of srcs) {
      const h = await headerBytes(s!);
      if (h.size === undefined) return void (goOn = true);
      heads.push({ bytes: h.bytes, size: h.size });
    }
    checkPlan(mod, heads, opts.contextLength, opts.batchSize, opts.threads, opts.backend === 'webgpu');
    goOn = true;
  } finally {
    for (const s of srcs) {
      if (goOn) s?.keep?.();
      await s?.close();
    }
  }
}

/** Throws out_of_memory when `total` model bytes cannot fit the heap beside a small reserve;
 *  `memory64Unavailable`: why the Memory64 build, which would hold it, cannot be used. */
export function checkModelFits(mod: RawModule, total: number, memory64Unavailable?: string): void {
  const rt = mod.runtimeInfo();
  const room = rt.heapMax - rt.heapSize - HEAP_RESERVE;
  const hint =
    !rt.memory64 && memory64Unavailable && total + HEAP_RESERVE <= MEMORY64_HEAP_MAX
      ? `; the Memory64 build would hold it, but ${memory64Unavailable}`
      : '';
  if (total > room)
    throw new WasmChordError(
      'out_of_memory',
      `the model is ${total} bytes (${formatBytes(total)}) but a ${rt.memory64 ? 'wasm64' : 'wasm32'} heap holds at most ` +
        `${rt.heapMax} bytes (${formatBytes(rt.heapMax)}), of which ${Math.max(0, room)} bytes are free for model weights; ` +
        'use a smaller or more strongly quantized model' +
        hint,
    );
}

/** The model and the context it would get, checked from the headers alone (throws what loading
 *  would: out_of_memory with the sizes, unsupported, bad_gguf). */
function checkPlan(
  mod: RawModule,
  heads: PartHeader[],
  contextLength: number,
  batchSize: number,
  threads: number,
  external: boolean,
): void {
  checkModelFits(
    mod,
    heads.reduce((s, h) => s + h.size, 0),
  );
  const parts = new mod.HeapParts();
  try {
    heads.forEach((h, i) => {
      unwrap(parts.add(h.bytes.byteLength));
      unwrap(parts.view(i, 0, h.bytes.byteLength)).set(h.bytes);
    });
    unwrap(
      mod.Context.plan(
        parts,
        heads.map((h) => h.size),
        contextLength,
        batchSize,
        threads,
        external,
      ),
    );
  } finally {
    parts.delete();
  }
}
