// Capability probes (SIMD, relaxed SIMD, Memory64, threads, cross-origin isolation) and the choice
// of thread count, flavour and build (wasm32 or the Memory64 build for models past wasm32's heap).
import { WasmChordError } from './errors.js';
import type { Capabilities, LoadOptions } from './types.js';
import type { Flavor, SimdLevel } from './wasm.js';

// A module with one function returning v128.const 0: validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00,
  0xfd,
  0x0c, // code section: no locals, v128.const
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0, //   16 zero bytes
  0x0b, // end
]);

// () -> v128: i32x4.relaxed_dot_i8x16_i7x16_add_s of three zero vectors (opcode 0xfd 0x113):
// validates only where relaxed SIMD is enabled.
const RELAXED_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: () -> v128
  ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
  ...[0x0a, 0x3d, 0x01, 0x3b, 0x00], // code section: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // three v128.const 0
  ...[0xfd, 0x93, 0x02, 0x0b], // i32x4.relaxed_dot_i8x16_i7x16_add_s, end
]);

// A module declaring one 64-bit-indexed memory (limits flag 0x04, 1 page): validates only where
// Memory64 is supported (Chrome >= 133, Firefox >= 134, Node >= 24).
const MEMORY64_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x05, 0x03, 0x01, 0x04, 0x01], // memory section: one memory, i64 index, min 1 page, no max
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

function sharedMemoryWorks(): boolean {
  try {
    if (typeof SharedArrayBuffer === 'undefined') return false;
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** What this environment offers. `threads` needs shared wasm memory (Node, or a cross-origin
 *  isolated page: COOP same-origin + COEP require-corp). */
export function capabilities(hardwareConcurrency?: number): Capabilities {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const simd = validates(SIMD_PROBE);
  const sab = typeof SharedArrayBuffer !== 'undefined';
  return {
    simd,
    relaxedSimd: simd && validates(RELAXED_PROBE),
    memory64: validates(MEMORY64_PROBE),
    threads: sharedMemoryWorks(),
    crossOriginIsolated: g.crossOriginIsolated === true,
    sharedArrayBuffer: sab,
    hardwareConcurrency: hardwareConcurrency ?? g.navigator?.hardwareConcurrency ?? 1,
  };
}

export interface ResolvedConfig {
  flavor: Flavor;
  simd: SimdLevel;
  threads: number;
  contextLength: number;
  batchSize: number;
  /** Where the forward pass runs ('auto' resolved: CPU until a GPU measurement says otherwise). */
  backend: 'cpu' | 'webgpu';
  /** The Memory64 build: decided (true: flavor 'mt', simd 'relaxed'), or 'auto': wasm32 unless
   *  the model or its context does not fit there (Engine.load). */
  memory64: boolean | 'auto';
  /** Why the Memory64 build cannot be used here (for the error when a model does not fit wasm32). */
  memory64Unavailable?: string;
}

/** Why this engine (and these options) cannot run the Memory64 build, or undefined when it can. */
function memory64Blocker(caps: Capabilities, simd: LoadOptions['simd']): string | undefined {
  if (!caps.memory64) return 'this engine lacks Memory64 (Chrome >= 133, Firefox >= 134, Node >= 24)';
  if (!caps.relaxedSimd) return 'it needs relaxed SIMD, which this engine lacks';
  if (!caps.threads)
    return 'it is a pthreads build: it needs shared WebAssembly memory (a cross-origin isolated page: COOP same-origin, COEP require-corp)';
  if (simd === 'simd128') return "it runs relaxed-SIMD kernels (simd: 'simd128' was asked for)";
  return undefined;
}

const MAX_AUTO_THREADS = 8;

export function resolveConfig(o: LoadOptions, caps: Capabilities): ResolvedConfig {
  if (!caps.simd) throw new WasmChordError('unsupported', 'this WebAssembly engine lacks SIMD128, which wasm-chord requires');
  const req = o.threads ?? 'auto';
  let threads: number;
  if (req === 'auto') {
    threads = caps.threads ? Math.max(1, Math.min(MAX_AUTO_THREADS, caps.hardwareConcurrency)) : 1;
  } else {
    if (typeof req !== 'number' || !Number.isInteger(req) || req < 1 || req > 64)
      throw new WasmChordError('invalid_argument', "threads must be 'auto' or an integer from 1 to 64");
    if (req > 1 && !caps.threads)
      throw new WasmChordError(
        'unsupported',
        `threads: ${req} needs shared WebAssembly memory (SharedArrayBuffer); ` +
          'in a browser serve the page cross-origin isolated (COOP same-origin, COEP require-corp), or use threads: 1',
      );
    threads = req;
  }
  const contextLength = o.contextLength ?? 0;
  if (!Number.isInteger(contextLength) || contextLength < 0)
    throw new WasmChordError('invalid_argument', 'contextLength must be a non-negative integer (0 = model default)');
  const backendReq = o.backend ?? 'auto';
  if (backendReq !== 'auto' && backendReq !== 'cpu' && backendReq !== 'webgpu')
    throw new WasmChordError('invalid_argument', "backend must be 'cpu', 'webgpu' or 'auto'");
  // 'auto' is the CPU until a measurement on a real GPU shows the WebGPU backend faster.
  const backend = backendReq === 'webgpu' ? 'webgpu' : 'cpu';
  const batchSize = o.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new WasmChordError('invalid_argument', 'batchSize must be a positive integer');
  const want = o.simd ?? 'auto';
  if (want !== 'auto' && want !== 'relaxed' && want !== 'simd128')
    throw new WasmChordError('invalid_argument', "simd must be 'auto', 'relaxed' or 'simd128'");
  if (want === 'relaxed' && !caps.relaxedSimd)
    throw new WasmChordError(
      'unsupported',
      "simd: 'relaxed' needs an engine with relaxed SIMD (Chrome >= 114, Firefox >= 146, Node >= 22)",
    );
  const simd: SimdLevel = want === 'simd128' || !caps.relaxedSimd ? 'simd128' : 'relaxed';
  const m64 = o.memory64 ?? 'auto';
  if (m64 !== 'auto' && m64 !== true && m64 !== false)
    throw new WasmChordError('invalid_argument', "memory64 must be 'auto', true or false");
  const blocker = m64 === false ? 'memory64: false was asked for' : memory64Blocker(caps, want);
  if (m64 === true && blocker) throw new WasmChordError('unsupported', `memory64: true needs the Memory64 build, but ${blocker}`);
  const memory64 = blocker ? false : m64;
  if (memory64 === true) return { flavor: 'mt', simd: 'relaxed', threads, contextLength, batchSize, backend, memory64 };
  return { flavor: threads > 1 ? 'mt' : 'st', simd, threads, contextLength, batchSize, backend, memory64, memory64Unavailable: blocker };
}
