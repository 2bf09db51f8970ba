// The WebGPU backend's glue to the engine: the GPU model built from the weights in the wasm heap
// (before the C++ model takes them), and the step protocol of an external context: after every
// Generator step the tokens the context recorded are evaluated on the GPU and their logits handed
// back to the C++ sampler (bindings: Context.takePending, Generator.setLogits).
import { WasmChordError, errorFromRaw, unwrap } from '../errors.js';
import { bytesSource, readGgufHeader } from '../gguf/header.js';
import type { RawContext, RawGenerator, RawHeapParts } from '../wasm.js';
import type { GpuContext } from './device.js';
import { GpuLlama } from './llama.js';

/** The default context length as the C++ Context resolves 0: min(training context, 4096). */
const DEFAULT_MAX_CTX = 4096;

/** Uploads the model in `parts` (one GGUF file, already in the heap) to the GPU. */
export async function gpuModelFromHeap(
  gpu: GpuContext,
  parts: RawHeapParts,
  sizes: number[],
  contextLength: number,
  batchSize: number,
): Promise<GpuLlama> {
  if (sizes.length !== 1)
    throw new WasmChordError('unsupported', 'the WebGPU backend loads one-file models only (not split GGUFs) for now');
  const all = unwrap(parts.view(0, 0, sizes[0]!));
  const header = await readGgufHeader(bytesSource(all), { maxArray: 0 });
  const train = header.metadata['llama.context_length']?.value;
  const nCtx = contextLength > 0 ? contextLength : Math.min(typeof train === 'number' ? train : DEFAULT_MAX_CTX, DEFAULT_MAX_CTX);
  return new GpuLlama(gpu, header, (t) => all.subarray(header.dataOffset + t.offset, header.dataOffset + t.offset + (t.bytes ?? 0)), {
    nCtx,
    maxBatch: batchSize,
  });
}

/** Evaluates what the external context recorded during the last step and gives the generator the
 *  logits. On failure the recorded tokens are dropped from the context (its history must only
 *  hold positions the GPU cache has). */
export async function evalPending(llama: GpuLlama, ctx: RawContext, gen: RawGenerator): Promise<void> {
  const p = ctx.takePending();
  if (p.tokens.length === 0) return;
  try {
    let logits: Float32Array | undefined;
    for (let off = 0; off < p.tokens.length; off += llama.maxBatch)
      logits = await llama.forward(Array.from(p.tokens.subarray(off, off + llama.maxBatch)), p.pos + off);
    const r = gen.setLogits(logits!);
    if (r.code !== 'ok') throw errorFromRaw(r);
  } catch (e) {
    ctx.truncate(p.pos);
    throw e;
  }
}
