// The WebGPU backend's building blocks: device acquisition, weight/activation buffers and the WGSL
// kernel library (tests/webgpu/kernel-checks.mjs checks them against the C++ reference).
export { acquireGpu, type AcquireOptions, type GpuAdapterReport, type GpuContext } from './device.js';
export {
  destroyWeight,
  f32Buffer,
  readBytes,
  readF32,
  storageBuffer,
  u32Buffer,
  uploadWeight,
  type GpuWeight,
  type WeightPart,
} from './buffers.js';
export { GpuKernels, MATMUL_TILE } from './kernels.js';
export {
  DEQUANT_TYPE_IDS,
  DequantTally,
  f16Bits,
  f16FromBits,
  moduleDequantizer,
  toF16,
  type Dequantizer,
  type DequantizeRows,
} from './dequant.js';
export { GPU_TYPES, gpuTypeInfo, rowBytes, type GpuTypeInfo, type GpuTypeName } from './wgsl-quant.js';
export { gpuModel } from './backend.js';
export {
  modelSpec,
  type LayerDescJs,
  type LayerWeightViews,
  type ModelDescJs,
  type ModelSpec,
  type ModelWeightViews,
  type WeightView,
} from './model-desc.js';
export { GpuTransformer, ringRows } from './transformer.js';
export { moduleRopeAngles, RopeTables, type RopeAngles } from './rope-table.js';
export { GGML_TYPES, ggmlTypeName } from '../gguf/ggml-types.js';
