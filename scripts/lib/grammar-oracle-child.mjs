// Child process: greedy completions under grammars with llama.cpp (llama.node), for the grammar
// equivalence test. A separate process because the native library logs and may crash.
//   job: { model, cases: [{ prompt, n, grammar? , schema? }] }
//   reply: { ok: true, texts: [string] } or { ok: false, error }
import { NEUTRAL, Oracle, answerJob } from './llama-oracle.mjs';

async function run(job) {
  const o = await new Oracle(job.model, { n_threads: 2 }).open();
  try {
    const texts = [];
    for (const c of job.cases) {
      const constraint =
        c.grammar !== undefined ? { grammar: c.grammar } : { response_format: { type: 'json_schema', json_schema: { schema: c.schema } } };
      const r = await o.completion({ ...NEUTRAL, prompt: c.prompt, temperature: 0, top_k: 1, n_predict: c.n, seed: 1, ...constraint });
      texts.push(r.text);
    }
    return { ok: true, texts };
  } finally {
    await o.close().catch(() => {});
  }
}

answerJob(run);
