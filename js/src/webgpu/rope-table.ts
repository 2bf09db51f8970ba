// RoPE's cos/sin tables for the GPU, computed on the host by the C++ code the CPU backend rotates
// with (the wasm module's refRopeAngles: kernels/ref rope_angles, i.e. powf and musl's cosf/sinf
// of the f32 angles, times LongRoPE's attn_factor as Context::rope_table), so the GPU's rotations
// are the CPU's bit for bit. WGSL's cos/sin are only bounded on [-pi, pi] and RoPE angles reach
// thousands of radians; a per-position table for the whole context (n_ctx x n_rot / 2 pairs per
// base) would grow with the context, so only the rows of the batch being evaluated are written
// (max_batch x n_rot / 2 pairs per distinct layer base and scale), plus one row for a context
// shift's re-rotation by -n_discard (a pure rotation: no attn_factor, as Context::shift).
import { WasmChordError } from '../errors.js';
import type { RawModule } from '../wasm.js';
import type { ModelDescJs } from './model-desc.js';

/** The arguments of the C++ rope_angles: cos and sin at each of `positions` for a RoPE of base
 *  `base`, positions times freqScale, angles divided by `factors` (empty: none), cos and sin times
 *  attnFactor. */
export type RopeAngleArgs = [
  positions: Int32Array,
  nRot: number,
  base: number,
  freqScale: number,
  factors: Float32Array,
  attnFactor: number,
];

/** (positions, nRot / 2) pairs (cos, sin) as f32. */
export type RopeAngles = (...args: RopeAngleArgs) => Float32Array<ArrayBuffer>;

/** The wasm module's C++ RoPE angles (bindings/reference_bindings.cpp refRopeAngles). */
export function moduleRopeAngles(mod: Pick<RawModule, 'refRopeAngles'>): RopeAngles {
  return (...args) => {
    const r = mod.refRopeAngles(...args);
    if (r.code !== 'ok') throw new WasmChordError('invalid_argument', `RoPE angles: ${r.message}`);
    return r.value as Float32Array<ArrayBuffer>; // a copy out of the heap (result.h copy_f32)
  };
}

interface RopeConfig {
  base: number;
  freqScale: number;
  batch: GPUBuffer; // (max_batch, n_rot / 2) vec2 f32: the pass's positions
  shift: GPUBuffer; // (1, n_rot / 2) vec2 f32: position -n_discard
}

/** The tables of one model: one pair of buffers per distinct (rope base, freq scale) of its RoPE
 *  layers (gemma2/3's local layers have their own base). */
export class RopeTables {
  private readonly configs: RopeConfig[] = [];
  private readonly byLayer: (RopeConfig | undefined)[];

  constructor(
    private readonly device: GPUDevice,
    private readonly desc: ModelDescJs,
    private readonly factors: Float32Array,
    private readonly angles: RopeAngles,
    private readonly maxBatch: number,
  ) {
    const bytes = (rows: number) => Math.max(16, rows * desc.nRot * 4);
    const buffer = (rows: number, label: string) =>
      device.createBuffer({ label, size: bytes(rows), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.byLayer = desc.layers.map((l) => {
      if (!l.useRope) return undefined;
      let c = this.configs.find((x) => x.base === l.ropeBase && x.freqScale === l.ropeFreqScale);
      if (!c) {
        const tag = `rope base ${l.ropeBase} scale ${l.ropeFreqScale}`;
        c = { base: l.ropeBase, freqScale: l.ropeFreqScale, batch: buffer(maxBatch, tag), shift: buffer(1, `${tag} shift`) };
        this.configs.push(c);
      }
      return c;
    });
  }

  /** Writes every batch table: row t for the pass's token t at positions[t] (before the pass's
   *  submit; packed sequences restart at 0). */
  writeBatch(positions: Int32Array): void {
    if (positions.length > this.maxBatch)
      throw new WasmChordError('invalid_argument', `RoPE: ${positions.length} positions in tables of ${this.maxBatch}`);
    for (const c of this.configs) this.write(c.batch, positions, c, this.desc.ropeAttnFactor);
  }

  /** Writes every shift table: the angles of position -nDiscard (no attn_factor). */
  writeShift(nDiscard: number): void {
    for (const c of this.configs) this.write(c.shift, Int32Array.of(-nDiscard), c, 1);
  }

  /** Layer il's batch table (undefined on NoPE layers). */
  batch(il: number): GPUBuffer | undefined {
    return this.byLayer[il]?.batch;
  }

  /** Layer il's shift table (undefined on NoPE layers). */
  shift(il: number): GPUBuffer | undefined {
    return this.byLayer[il]?.shift;
  }

  destroy(): void {
    for (const c of this.configs) {
      c.batch.destroy();
      c.shift.destroy();
    }
    this.configs.length = 0;
  }

  private write(b: GPUBuffer, positions: Int32Array, c: RopeConfig, attnFactor: number): void {
    const t = this.angles(positions, this.desc.nRot, c.base, c.freqScale, this.factors, attnFactor);
    if (t.length !== positions.length * this.desc.nRot)
      throw new WasmChordError('internal', `RoPE: ${t.length} angles for ${positions.length} positions`);
    this.device.queue.writeBuffer(b, 0, t);
  }
}
