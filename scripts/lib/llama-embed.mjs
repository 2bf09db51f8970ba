// llama.cpp's embeddings (through @fugood/llama.node) as an oracle, one process per model: in one
// process llama.node keeps the first model's embedding width for later models, and its
// embedding() keeps the previous text's tokens in the KV cache, so each text gets a fresh context.
// Usage: node scripts/lib/llama-embed.mjs MODEL.gguf POOLING TEXTS_JSON
//   -> a line '@@EMBEDDINGS@@', then JSON [[floats]...] on the next line
const [path, pooling, textsJson] = process.argv.slice(2);
const llama = await import('@fugood/llama.node');
try {
  await llama.toggleNativeLog?.(false);
} catch {
  /* older builds */
}
const out = [];
for (const t of JSON.parse(textsJson)) {
  const ctx = await llama.loadModel({
    model: path,
    embedding: true,
    pooling_type: pooling,
    n_ctx: 256,
    n_batch: 256,
    n_ubatch: 256,
    n_threads: 2,
    n_gpu_layers: 0,
    flash_attn_type: 'off',
  });
  try {
    out.push(Array.from((await ctx.embedding(t)).embedding)); // copied before release() frees it
  } finally {
    await ctx.release();
  }
}
// llama.node writes log lines to stdout too: the result is the line after the marker.
process.stdout.write(`\n@@EMBEDDINGS@@\n${JSON.stringify(out)}\n`);
