// Weight types without a WGSL decoder, dequantized at upload: rows expanded to f32 by the C++
// reference dequantizer (the wasm module's refDequantizeRows, in bounded row chunks) and rounded
// to f16 here (round to nearest even, as core/quant/fp16.h fp32_to_fp16), then kept as F16.
import { WasmChordError, type RawResult } from '../errors.js';
import { GGML_TYPES } from '../gguf/ggml-types.js';
import type { DequantizedTypeReport } from '../types.js';

/** GGUF type ids the CPU runtime computes with that have no WGSL decoder (kernels/ops.cpp's table
 *  less wgsl-quant.ts's): Q2_K, Q3_K, the grid I-quants and the ternary types. */
export const DEQUANT_TYPE_IDS: readonly number[] = [10, 11, 16, 17, 18, 19, 21, 22, 29, 34, 35];

/** Rows of a weight type expanded to f32 (rows x cols, row-major): the C++ reference. */
export type DequantizeRows = (typeId: number, bytes: Uint8Array, rows: number, cols: number) => Float32Array;

/** What uploadWeight needs to take a type it has no decoder for. */
export interface Dequantizer {
  rows: DequantizeRows;
  /** Told once per tensor dequantized: its file bytes and the bytes it takes on the GPU as F16. */
  uploaded?(typeId: number, fileBytes: number, gpuBytes: number): void;
}

/** The wasm module's reference dequantizer as a DequantizeRows. */
export function moduleDequantizer(mod: {
  refDequantizeRows(type: number, bytes: Uint8Array, rows: number, cols: number): RawResult<Float32Array>;
}): DequantizeRows {
  return (typeId, bytes, rows, cols) => {
    const r = mod.refDequantizeRows(typeId, bytes, rows, cols);
    if (r.code !== 'ok') throw new WasmChordError('unsupported', `dequantizing ${GGML_TYPES[typeId]?.name ?? typeId}: ${r.message}`);
    return r.value as Float32Array;
  };
}

/** A Dequantizer that tallies what it dequantized, per type, for the load's report and warning. */
export class DequantTally implements Dequantizer {
  readonly rows: DequantizeRows;
  private readonly byType = new Map<number, DequantizedTypeReport>();

  constructor(rows: DequantizeRows) {
    this.rows = rows;
  }

  uploaded(typeId: number, fileBytes: number, gpuBytes: number): void {
    let r = this.byType.get(typeId);
    if (!r) this.byType.set(typeId, (r = { type: GGML_TYPES[typeId]?.name ?? `type${typeId}`, tensors: 0, fileBytes: 0, gpuBytes: 0 }));
    r.tensors += 1;
    r.fileBytes += fileBytes;
    r.gpuBytes += gpuBytes;
  }

  report(): DequantizedTypeReport[] {
    return [...this.byType.values()];
  }

  /** The one warning of a load, or undefined when nothing was dequantized. */
  warning(): string | undefined {
    const r = this.report();
    if (r.length === 0) return undefined;
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const extra = r.reduce((s, x) => s + x.gpuBytes - x.fileBytes, 0);
    const types = r.map((x) => `${x.type} (${x.tensors} tensor${x.tensors === 1 ? '' : 's'})`).join(', ');
    return `WebGPU: no GPU decoder for ${types}: dequantized to f16 at upload, ${mib(extra)} more GPU memory than the file's ${mib(r.reduce((s, x) => s + x.fileBytes, 0))}`;
  }
}

// f32 -> f16 bits: round to nearest, ties to even; overflow -> inf; NaN -> sign | 0x7e00.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bits of a float's bits (core/quant/fp16.h fp32_to_fp16's rule). */
export function f16FromBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  const e = abs >>> 23;
  if (e >= 143) return sign | 0x7c00; // |x| >= 2^16 (or inf)
  const mant = abs & 0x7fffff;
  if (e >= 113) {
    // A normal half: 13 mantissa bits dropped; a carry may reach inf, correctly.
    let h = ((e - 112) << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) ++h;
    return sign | h;
  }
  if (e < 102) return sign; // |x| < 2^-25 rounds to zero (2^-25 itself is a tie to 0)
  // Subnormal: (mant | 2^23) * 2^(e - 150) in units of 2^-24.
  const m = mant | 0x800000;
  const shift = 126 - e; // 14..24
  let h = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rem > halfway || (rem === halfway && h & 1)) ++h;
  return sign | h;
}

/** The f16 bits of a number rounded first to f32. */
export function f16Bits(x: number): number {
  f32[0] = x;
  return f16FromBits(u32[0]!);
}

/** dst[i] = f16 bits of src[i]; returns how many finite values became inf (|x| >= 65520). Normal
 *  halves (2^-14 <= |x| < 65520, nearly every weight) inline: adding 0xfff plus the kept lsb
 *  rounds to nearest even at bit 13, a carry moving into the exponent as it should, then the
 *  exponent is rebased (127 - 15 = 112 << 10). */
export function toF16(src: Float32Array, dst: Uint16Array): number {
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  let overflow = 0;
  for (let i = 0; i < bits.length; ++i) {
    const b = bits[i]!;
    const a = b & 0x7fffffff;
    if (a >= 0x38800000 && a < 0x477ff000) dst[i] = ((b >>> 16) & 0x8000) | (((a + 0xfff + ((a >>> 13) & 1)) >>> 13) - 0x1c000);
    else {
      dst[i] = f16FromBits(b >>> 0);
      if (a >= 0x477ff000 && a < 0x7f800000) ++overflow;
    }
  }
  return overflow;
}

/** Elements per dequantize call: 4 MiB of f32 at a time keeps the wasm heap's scratch small. */
const CHUNK_ELEMENTS = 1 << 20;

/** Writes rows [row0, row0 + rows) of `src()` (rows of `srcRowBytes` bytes of type typeId, cols
 *  elements each) into `dst` as f16, in chunks of rows. src is asked for again per chunk and the
 *  chunk copied out first: the dequantizer may grow the wasm heap src views, detaching it. */
export function dequantizeRowsToF16(
  dq: DequantizeRows,
  typeId: number,
  src: () => Uint8Array,
  srcRowBytes: number,
  cols: number,
  row0: number,
  rows: number,
  dst: Uint16Array,
): void {
  const step = Math.max(1, Math.floor(CHUNK_ELEMENTS / cols));
  for (let r = 0; r < rows; r += step) {
    const n = Math.min(step, rows - r);
    const a = (row0 + r) * srcRowBytes;
    const f = dq(typeId, src().slice(a, a + n * srcRowBytes), n, cols);
    if (f.length !== n * cols) throw new WasmChordError('internal', `dequantizer returned ${f.length} floats for ${n} x ${cols}`);
    const overflow = toF16(f, dst.subarray(r * cols, (r + n) * cols));
    if (overflow > 0)
      throw new WasmChordError(
        'unsupported',
        `${overflow} weights beyond the f16 range (|x| >= 65520): this type cannot be dequantized to f16`,
      );
  }
}
