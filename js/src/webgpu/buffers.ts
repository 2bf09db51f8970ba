// GPU buffers for the backend: weight tensors uploaded as their raw GGUF block bytes (types without
// a WGSL decoder expanded to F16, dequant.ts), split by whole rows into parts no larger than the
// device's storage binding limit (a 4 GiB embedding table on a 128 MiB GLES binding becomes ~32
// parts), and plain f32 activation buffers.
import { WasmChordError } from '../errors.js';
import { GGML_TYPES, ggmlBytes, ggmlTypeName } from '../gguf/ggml-types.js';
import { DEQUANT_TYPE_IDS, dequantizeRowsToF16, type Dequantizer } from './dequant.js';
import { GPU_TYPES, gpuTypeInfo, rowBytes, type GpuTypeInfo } from './wgsl-quant.js';

/** Rows [row0, row0 + rows) of a weight matrix in one GPU buffer (bytes from the part's row 0). */
export interface WeightPart {
  buffer: GPUBuffer;
  row0: number;
  rows: number;
}

/** A (rows, cols) weight matrix in a GPU-decodable block format, possibly split into parts. */
export interface GpuWeight {
  type: GpuTypeInfo;
  rows: number;
  cols: number;
  rowBytes: number;
  parts: WeightPart[];
  /** The file's type id when the upload dequantized it (type is then F16). */
  fileTypeId?: number;
}

/** Uploads `bytes` (rows x rowBytes, the file's layout) as storage buffers of at most `maxBinding`
 *  bytes each, cut between rows. Types without a WGSL decoder are dequantized to F16 with
 *  `dequantize` when given (dequant.ts), else 'unsupported'; ragged shapes are typed errors.
 *  `bytes` may be a function returning them: a view of a growable wasm heap, asked for again
 *  before each dequantized chunk (the dequantizer may grow the heap, detaching older views). */
export function uploadWeight(
  device: GPUDevice,
  typeId: number,
  rows: number,
  cols: number,
  bytes: Uint8Array | (() => Uint8Array),
  maxBinding: number,
  label = 'weight',
  dequantize?: Dequantizer,
): GpuWeight {
  const native = gpuTypeInfo(typeId);
  const deq = !native && dequantize !== undefined && DEQUANT_TYPE_IDS.includes(typeId);
  const type = native ?? (deq ? gpuTypeInfo(GPU_TYPES.F16) : undefined);
  if (!type) throw new WasmChordError('unsupported', `${label}: GGUF type ${ggmlTypeName(typeId)} has no WebGPU decoder`);
  // The file's geometry (for a dequantized type, its own blocks).
  const fileBlock = native ? native.block : GGML_TYPES[typeId]!.blockSize;
  const fileRowBytes = native ? rowBytes(native, cols) : (ggmlBytes(typeId, cols) ?? 0);
  if (!(rows > 0 && cols > 0) || cols % fileBlock !== 0 || cols % type.block !== 0)
    throw new WasmChordError('invalid_argument', `${label}: ${rows} x ${cols} is not whole ${ggmlTypeName(typeId)} blocks of ${fileBlock}`);
  const view = typeof bytes === 'function' ? bytes : () => bytes;
  const first = view();
  if (first.byteLength !== fileRowBytes * rows)
    throw new WasmChordError(
      'invalid_argument',
      `${label}: ${first.byteLength} bytes for ${rows} x ${cols} ${ggmlTypeName(typeId)} (want ${fileRowBytes * rows})`,
    );
  const rb = rowBytes(type, cols);
  // + 4: the decoders read whole u32 words, at most 3 bytes past a part's last row.
  const rowsPerPart = Math.floor((maxBinding - 4) / rb);
  if (rowsPerPart < 1)
    throw new WasmChordError('unsupported', `${label}: one row (${rb} bytes) exceeds the storage binding limit ${maxBinding}`);
  const parts: WeightPart[] = [];
  try {
    for (let row0 = 0; row0 < rows; row0 += rowsPerPart) {
      const n = Math.min(rowsPerPart, rows - row0);
      const size = Math.ceil((n * rb) / 4) * 4 + 4;
      const buffer = device.createBuffer({
        label: `${label}[${row0}]`,
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        mappedAtCreation: true,
      });
      parts.push({ buffer, row0, rows: n });
      const range = buffer.getMappedRange();
      if (deq) dequantizeRowsToF16(dequantize.rows, typeId, view, fileRowBytes, cols, row0, n, new Uint16Array(range, 0, n * cols));
      else new Uint8Array(range).set(first.subarray(row0 * rb, (row0 + n) * rb));
      buffer.unmap();
    }
  } catch (e) {
    for (const p of parts) p.buffer.destroy();
    throw e instanceof WasmChordError ? new WasmChordError(e.code, `${label}: ${e.message}`, { cause: e }) : e;
  }
  if (deq) dequantize.uploaded?.(typeId, fileRowBytes * rows, rb * rows);
  return { type, rows, cols, rowBytes: rb, parts, ...(deq ? { fileTypeId: typeId } : {}) };
}

export function destroyWeight(w: GpuWeight): void {
  for (const p of w.parts) p.buffer.destroy();
}

/** A storage buffer of `count` f32 (at least 4 bytes), optionally filled. out_of_memory when it is
 *  larger than one binding may be (storageBuffer). */
export function f32Buffer(device: GPUDevice, count: number, data?: Float32Array, label = 'f32'): GPUBuffer {
  const buffer = storageBuffer(device, count * 4, label, data !== undefined);
  if (data) {
    new Float32Array(buffer.getMappedRange()).set(data.subarray(0, count));
    buffer.unmap();
  }
  return buffer;
}

/** A zeroed storage buffer of at least `bytes` bytes (whole 16-byte units), mapped when `mapped`.
 *  out_of_memory when it is larger than one binding may be (a KV cache for too long a context). */
export function storageBuffer(device: GPUDevice, bytes: number, label: string, mapped = false): GPUBuffer {
  const size = Math.max(4, Math.ceil(bytes / 16) * 16);
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (size > limit)
    throw new WasmChordError(
      'out_of_memory',
      `the WebGPU buffer '${label}' needs ${Math.ceil(size / 2 ** 20)} MiB, over the adapter's ${Math.floor(limit / 2 ** 20)} MiB ` +
        'binding limit; ask for a shorter context',
    );
  return device.createBuffer({
    label,
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: mapped,
  });
}

/** A storage buffer of u32 values. */
export function u32Buffer(device: GPUDevice, data: ArrayLike<number>, label = 'u32'): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil((data.length * 4) / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint32Array(buffer.getMappedRange()).set(Array.from(data));
  buffer.unmap();
  return buffer;
}

/** Copies `bytes` bytes (a multiple of 4) at `offset` out of `src`, after every submitted command. */
export async function readBytes(device: GPUDevice, src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

/** `count` f32 of `src` from element `offsetElems`, as a new Float32Array. */
export async function readF32(device: GPUDevice, src: GPUBuffer, count: number, offsetElems = 0): Promise<Float32Array> {
  return new Float32Array(await readBytes(device, src, count * 4, offsetElems * 4));
}
