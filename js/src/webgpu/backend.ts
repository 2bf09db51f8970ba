// The WebGPU backend's glue to the engine: the GPU model built from the loaded C++ model's
// description and weight views (Model.describe: the weights are read from the wasm heap, for split
// GGUFs too), and the protocol of an external context: after every Generator step the context
// shifts it recorded are applied to the GPU KV cache and the tokens it recorded evaluated on the
// GPU, their logits handed back to the C++ sampler (bindings: Context.takePending,
// Generator.setLogits); embeddings run the hidden states of several sequences packed into one
// pass on the GPU and pool them in C++ (Context.recordHidden, Context.poolHidden). The GPU's
// sliding-window rings decide which cached prefix a generation can keep, as the CPU's own rings
// do (keepPrefix).
import { errorFromRaw, unwrap } from '../errors.js';
import type { RawContext, RawGenerator, RawModel, RawModule } from '../wasm.js';
import { DequantTally, moduleDequantizer } from './dequant.js';
import type { GpuContext } from './device.js';
import { modelSpec } from './model-desc.js';
import { moduleRopeAngles } from './rope-table.js';
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
  const m = new GpuTransformer(
    gpu,
    modelSpec(model, () => mod.HEAPU8, opts.nCtx),
    { ...opts, dequantize: tally, ropeAngles: moduleRopeAngles(mod) },
  );
  const warning = tally.warning();
  if (warning !== undefined) {
    gpu.report = { ...gpu.report, dequantized: tally.report() };
    if (typeof console !== 'undefined') console.warn(`[wasm-chord] ${warning}`);
  }
  return m;
}

/** Before Generator.start on the external context: the prefix of the context's history that
 *  Generator::start keeps (the prompt's common prefix, its last token evaluated again) cut where
 *  the GPU's rings can no longer continue, as Context::common_prefix / truncate cut it with the
 *  CPU's KvCache::keepable (an external context has no cache to ask). Generator.start then keeps
 *  all that is left: the same cached tokens as on the CPU backend. */
export function keepPrefix(model: GpuTransformer, ctx: RawContext, prompt: Int32Array): void {
  const n = ctx.nPast();
  if (!model.hasRings || prompt.length === 0 || n === 0) return;
  const common = ctx.commonPrefix(prompt); // the matching length (external: all of it)
  let keep = Math.min(common < n ? model.keepable(common) : common, prompt.length - 1);
  if (keep < n) keep = model.keepable(keep);
  if (keep < n) ctx.truncate(keep);
}

/** Applies the context shifts the external context recorded during the last step to the GPU KV
 *  cache, evaluates the tokens it recorded and gives the generator the logits. On failure the
 *  context forgets what the GPU cache may not hold (its history must only hold positions the GPU
 *  cache has): the recorded tokens, and after a failed shift everything past the rows it keeps. */
export async function evalPending(model: GpuTransformer, ctx: RawContext, gen: RawGenerator): Promise<void> {
  const p = ctx.takePending();
  for (let i = 0; i < p.shifts.length; ++i) {
    const sh = p.shifts[i]!;
    try {
      await model.shift(sh.nKeep, sh.nDiscard, sh.nPast);
    } catch (e) {
      ctx.truncate(Math.min(...p.shifts.slice(i).map((x) => x.nKeep)));
      throw e;
    }
  }
  if (p.tokens.length === 0) return;
  try {
    let logits: Float32Array | undefined;
    for (let off = 0; off < p.tokens.length; off += model.maxBatch)
      logits = await model.forward(Array.from(p.tokens.subarray(off, off + model.maxBatch)), p.pos + off);
    const r = gen.setLogits(logits!);
    if (r.code !== 'ok') throw errorFromRaw(r);
  } catch (e) {
    ctx.truncate(model.keepable(Math.min(p.pos, ctx.nPast())));
    throw e;
  }
}

/** Each sequence's embedding (as Context.embed on the CPU backend, runtime/embed.cpp): the
 *  context records each sequence from position 0 (typed errors as on the CPU: vocabulary, context
 *  length); consecutive sequences that fit one batch (model.maxBatch tokens; n_ctx for non-causal
 *  models) go through the GPU packed in one pass, each attending only to itself, and one longer
 *  than a batch alone in several; the GPU computes their output-normed hidden states and C++ pools
 *  each sequence's rows. The KV cache is cleared before and after. */
export async function gpuEmbed(
  model: GpuTransformer,
  ctx: RawContext,
  sequences: readonly Int32Array[],
  pooling: string,
  normalize: boolean,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const recorded = (seq: Int32Array): Int32Array => {
    ctx.truncate(0);
    unwrap(ctx.recordHidden(seq));
    const p = ctx.takePending();
    ctx.truncate(0);
    return p.tokens;
  };
  try {
    for (let i = 0; i < sequences.length;) {
      const first = recorded(sequences[i]!);
      const pack = [first];
      let total = first.length;
      for (let j = i + 1; j < sequences.length && total + sequences[j]!.length <= model.maxBatch; ++j) {
        const seq = recorded(sequences[j]!);
        pack.push(seq);
        total += seq.length;
      }
      const lens = pack.map((s) => s.length);
      let hidden: Float32Array; // (total, n_embd)
      if (pack.length > 1) {
        const tokens = new Array<number>(total);
        pack.reduce((at, s) => (s.forEach((t, k) => (tokens[at + k] = t)), at + s.length), 0);
        hidden = await model.forward(tokens, 0, { hidden: true, lens });
      } else {
        const parts: Float32Array[] = []; // (batch, n_embd) each
        for (let off = 0; off < total; off += model.maxBatch)
          parts.push(await model.forward(Array.from(first.subarray(off, off + model.maxBatch)), off, { hidden: true }));
        hidden = new Float32Array(parts.reduce((m, r) => m + r.length, 0));
        parts.reduce((at, r) => (hidden.set(r, at), at + r.length), 0);
      }
      out.push(...unwrap(ctx.poolHidden(hidden, lens, pooling, normalize)));
      i += pack.length;
    }
  } finally {
    ctx.truncate(0);
  }
  return out;
}
