// WebGPU device acquisition for the GPU backend: navigator.gpu in browsers; in Node the optional
// `webgpu` package (Dawn), its default backend first (Vulkan/Metal/D3D12 on a real GPU), then
// Dawn's OpenGL ES backend in compatibility mode (Mesa llvmpipe on a machine without a GPU driver).
// Reports what the adapter offers (packed int8 dot products, subgroups, shader-f16, limits, fallback
// or not) and requests its optional features.
import { WasmChordError } from '../errors.js';
import type { GpuAdapterReport } from '../types.js';

export type { GpuAdapterReport };

export interface GpuContext {
  device: GPUDevice;
  report: GpuAdapterReport;
}

export interface AcquireOptions {
  /** 'high-performance' (default) or 'low-power'. */
  powerPreference?: GPUPowerPreference;
  /** Node: skip Dawn's default backend and go straight to GLES (tests on machines without a GPU). */
  forceGles?: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<DawnModule | undefined> {
  // A variable specifier keeps bundlers from resolving the optional Node-only package.
  const name = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch {
    return undefined;
  }
}

function describe(adapter: GPUAdapter, source: GpuAdapterReport['source'], gpu: GPU): GpuAdapterReport {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  const fallback =
    Boolean((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const wgsl = (gpu as { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    source,
    software: fallback || SOFTWARE.test(text) || source === 'dawn-gles',
    packedDot: Boolean(wgsl?.has('packed_4x8_integer_dot_product')),
    shaderF16: adapter.features.has('shader-f16'),
    subgroups: adapter.features.has('subgroups'),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

async function open(
  gpu: GPU,
  adapterOptions: GPURequestAdapterOptions,
  source: GpuAdapterReport['source'],
): Promise<GpuContext | undefined> {
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter(adapterOptions);
  } catch {
    adapter = null;
  }
  if (!adapter) return undefined;
  const report = describe(adapter, source, gpu);
  const l = adapter.limits;
  // Ask for the adapter's own buffer limits (the defaults are 128/256 MiB) and its workgroup size.
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
  };
  // shader-f16 is requested (and reported) but no kernel uses it yet: no adapter here has it to test on.
  const requiredFeatures = (['shader-f16', 'subgroups'] as const).filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { device, report };
}

// Dawn instances live as long as the process: Dawn's event pump still visits an instance after
// its JS object is collected (an instance without an adapter, dropped, aborted the process with a
// mutex error in InstanceBase::ProcessEvents), so each is created once per option set and kept.
const dawnInstances = new Map<string, GPU>();
function dawnInstance(dawn: DawnModule, options: string[]): GPU {
  const key = options.join(' ');
  let gpu = dawnInstances.get(key);
  if (!gpu) {
    gpu = dawn.create(options);
    dawnInstances.set(key, gpu);
  }
  return gpu;
}

/** A WebGPU device, or a WasmChordError('unsupported') naming what was tried. */
export async function acquireGpu(opts: AcquireOptions = {}): Promise<GpuContext> {
  const powerPreference = opts.powerPreference ?? 'high-performance';
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const tried: string[] = [];
  if (nav?.gpu) {
    const c = await open(nav.gpu, { powerPreference }, 'navigator.gpu');
    if (c) return c;
    tried.push('navigator.gpu (no adapter)');
  } else {
    const proc = (globalThis as { process?: { versions?: { node?: string }; env: Record<string, string | undefined> } }).process;
    if (proc?.versions?.node) {
      const dawn = await loadDawn();
      if (!dawn) tried.push("Node: the optional package 'webgpu' is not installed");
      else {
        Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, … as in a browser
        if (!opts.forceGles) {
          const c = await open(dawnInstance(dawn, []), { powerPreference }, 'dawn');
          if (c) return c;
          tried.push('Dawn default backend (no adapter)');
        }
        // Mesa's EGL needs a platform without a display server.
        proc.env['EGL_PLATFORM'] ??= 'surfaceless';
        const c = await open(
          dawnInstance(dawn, ['backend=opengles']),
          { featureLevel: 'compatibility' } as GPURequestAdapterOptions,
          'dawn-gles',
        );
        if (c) return c;
        tried.push('Dawn OpenGL ES backend (no adapter)');
      }
    } else tried.push('navigator.gpu is missing (WebGPU disabled or unsupported)');
  }
  throw new WasmChordError('unsupported', `no WebGPU adapter: tried ${tried.join('; ')}`);
}
