// The WebGPU backend's glue to the engine: the GPU model built from the loaded C++ model's
// description and weight views (Model.describe: the weights are read from the wasm heap, for split
// GGUFs too), and the step protocol of an external context: after every Generator step the tokens
// the context recorded are evaluated on the GPU and their logits handed back to the C++ sampler
// (bindings: Context.takePending, Generator.setLogits).
import { errorFromRaw } from '../errors.js';
import type { RawContext, RawGenerator, RawModel, RawModule } from '../wasm.js';
import { DequantTally, moduleDequantizer } from './dequant.js';
import type { GpuContext } from './device.js';
import { modelSpec } from './model-desc.js';
import { GpuTransformer } from './transformer.js';

/** Uploads a loaded model to the GPU for a context of nCtx positions and batches of maxBatch.
 *  Weights of types without a WGSL decoder are expanded to f16 by the module's C++ dequantizer:
 *  one warning, and gpu.report.dequantized (ModelInfo.gpu) says which and how many bytes. */
export function gpuModel(
  gpu: GpuContext,
  mod: RawModule,
  model: RawModel,
  opts: { nCtx: number; maxBatch?: number; integer?: boolean },
): GpuTransformer {
  const tally = new DequantTally(moduleDequantizer(mod));
  const m = new GpuTransformer(gpu, modelSpec(model, () => mod.HEAPU8, opts.nCtx), { ...opts, dequantize: tally });
  const warning = tally.warning();
  if (warning !== undefined) {
    gpu.report = { ...gpu.report, dequantized: tally.report() };
    if (typeof console !== 'undefined') console.warn(`[wasm-chord] ${warning}`);
  }
  return m;
}

/** Evaluates what the external context recorded during the last step and gives the generator the
 *  logits. On failure the recorded tokens are dropped from the context (its history must only
 *  hold positions the GPU cache has). */
export async function evalPending(model: GpuTransformer, ctx: RawContext, gen: RawGenerator): Promise<void> {
  const p = ctx.takePending();
  if (p.tokens.length === 0) return;
  try {
    let logits: Float32Array | undefined;
    for (let off = 0; off < p.tokens.length; off += model.maxBatch)
      logits = await model.forward(Array.from(p.tokens.subarray(off, off + model.maxBatch)), p.pos + off);
    const r = gen.setLogits(logits!);
    if (r.code !== 'ok') throw errorFromRaw(r);
  } catch (e) {
    ctx.truncate(p.pos);
    throw e;
  }
}
