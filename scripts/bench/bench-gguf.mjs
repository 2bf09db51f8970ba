// What the benchmark's decode ceiling needs from a GGUF header: tensor byte sizes and the few
// hyperparameters that size the KV cache.
import { readGgufFile } from '../lib/gguf.mjs';

/** { kv: {key: value}, tensors: [{name, shape, typeId, offset, bytes}], fileSize } of a GGUF file,
 *  read with the package's header reader. */
export async function readGguf(path) {
  const h = await readGgufFile(path);
  const kv = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, v.value]));
  return { kv, tensors: h.tensors, fileSize: h.fileBytes };
}

/** Bytes a decode step reads: every weight matrix once (the embedding table contributes one row
 *  unless it doubles as the output matrix), plus the f16 KV cache up to position `pos`. */
export function decodeBytesPerToken(g, pos) {
  const arch = g.kv['general.architecture'];
  const k = (s) => g.kv[`${arch}.${s}`];
  const nLayer = k('block_count');
  const nEmbd = k('embedding_length');
  const nHead = k('attention.head_count');
  const nKv = k('attention.head_count_kv') ?? nHead;
  const headDim = k('attention.key_length') ?? nEmbd / nHead;
  const tied = !g.tensors.some((t) => t.name === 'output.weight');
  let weights = 0;
  for (const t of g.tensors) {
    if (t.name === 'token_embd.weight' && !tied)
      weights += t.bytes / t.shape[1]; // one row
    else weights += t.bytes;
  }
  const kvBytesPerPos = nLayer * 2 * nKv * headDim * 2;
  return { weights, kv: kvBytesPerPos * pos, total: weights + kvBytesPerPos * pos, kvBytesPerPos, nLayer, tied };
}
