// Child process that runs llama.cpp (llama.node) for one model and sends the results back over IPC.
// A separate process because the native library prints to stdout/stderr and may crash.
//   job: { model, prompt, texts, nGreedy, nSeq, nProbs, seed, threads, llamaOpts }
//   reply: { ok: true, tokenize: [ids per text], greedy: {prompt, gen},
//            sample: {prompt, gen, content, probs} }
//          or { ok: false, error }
import { Oracle, answerJob } from './llama-oracle.mjs';

async function run(job) {
  const o = await new Oracle(job.model, { n_threads: job.threads ?? 2, ...(job.llamaOpts ?? {}) }).open();
  try {
    const tokenize = [];
    for (const t of job.texts ?? []) tokenize.push(await o.tokenize(t));
    const greedy = await o.greedy(job.prompt, job.nGreedy);
    const n = job.nSeq - greedy.prompt.length;
    if (n < 1) throw new Error(`prompt has ${greedy.prompt.length} tokens, sequence length is ${job.nSeq}`);
    const sample = await o.sample(job.prompt, n, job.nProbs, job.seed);
    return { ok: true, tokenize, greedy, sample };
  } finally {
    await o.close().catch(() => {});
  }
}

answerJob(run);
