// Generation options end to end: a chat request's repeat_last_n reaches the sampler through the
// server and the JS API and changes the output exactly as llama.cpp's penalty_last_n does
// (@fugood/llama.node on the same file and prompt); the batchSize load option sets how many
// forward batches a long prompt takes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { NEUTRAL, Oracle } from '../../scripts/lib/llama-oracle.mjs';
import { STORIES, serveModel } from './helpers.mjs';

// Greedy with a strong repeat penalty: the window it looks back over decides what repeats.
const PENALTY = { repeat_penalty: 1.5 };
const MESSAGES = [{ role: 'user', content: 'Tell me about the little dog and the big ball.' }];
const N = 48;

describe('repeat_last_n in chat requests', () => {
  let served;
  let model;
  let url;
  let oracle;
  before(async () => {
    ({ model, url } = served = await serveModel());
    oracle = await new Oracle(STORIES, { n_ctx: 512 }).open();
  });
  after(async () => {
    await served?.close();
    await oracle?.close();
  });

  /** llama.cpp's greedy continuation (token ids) of `prompt` with the same penalties. */
  async function llamaCpp(prompt, lastN) {
    const r = await oracle.completion({
      ...NEUTRAL,
      prompt,
      temperature: 0,
      top_k: 1,
      penalty_repeat: PENALTY.repeat_penalty,
      penalty_last_n: lastN,
      n_predict: N + 1,
      ignore_eos: true,
    });
    return oracle.splitSession(r, N + 1); // the session lacks the last sampled token: ask one more
  }

  async function serverChat(extra) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: MESSAGES, max_tokens: N, temperature: 0, ignore_eos: true, ...PENALTY, ...extra }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).choices[0].message.content;
  }

  test('the server and the JS API pass repeat_last_n on to the sampler', async () => {
    const prompt = await model.applyChatTemplate(MESSAGES);
    const outputs = {};
    for (const lastN of [3, 64]) {
      const viaServer = await serverChat({ repeat_last_n: lastN });
      const viaAlias = await serverChat({ penalty_last_n: lastN });
      const viaApi = (
        await model.chat.completions.create({
          messages: MESSAGES,
          max_tokens: N,
          temperature: 0,
          ignore_eos: true,
          ...PENALTY,
          repeat_last_n: lastN,
        })
      ).choices[0].message.content;
      const direct = await model.complete(prompt, {
        maxTokens: N,
        temperature: 0,
        ignoreEos: true,
        parseSpecial: true,
        repeatPenalty: PENALTY.repeat_penalty,
        penaltyLastN: lastN,
      });
      assert.equal(viaAlias, viaServer);
      assert.equal(viaApi, viaServer);
      assert.equal(direct.text, viaServer);
      outputs[lastN] = viaServer;
    }
    assert.notEqual(outputs[3], outputs[64], 'the window changes the output');
  });

  // llama.cpp's server counts the prompt's tokens in the window too, as we do; llama.node 1.7
  // counts only generated ones. A prompt of BOS alone ("<s>" there: BOS, BOS) keeps the two
  // comparable: BOS is never a greedy pick, so penalizing it changes nothing.
  test("the window changes greedy output exactly as llama.cpp's penalty_last_n does", async () => {
    const outputs = new Set();
    for (const lastN of [3, 16, 64]) {
      const { prompt, gen } = await llamaCpp('<s>', lastN);
      const ours = await model.complete(prompt, {
        maxTokens: N,
        temperature: 0,
        ignoreEos: true,
        repeatPenalty: PENALTY.repeat_penalty,
        penaltyLastN: lastN,
      });
      assert.deepEqual(prompt, [1, 1]);
      assert.deepEqual(ours.tokens, gen, `repeat_last_n ${lastN}`);
      outputs.add(ours.text);
    }
    assert.equal(outputs.size, 3, 'each window gives its own output');
  });
});

test('batchSize 256 evaluates a 600-token prompt in 3 batches (64: 10)', async () => {
  for (const [batchSize, want] of [
    [256, 3],
    [64, 10],
  ]) {
    const model = await loadModel(STORIES, { threads: 1, contextLength: 1024, batchSize });
    try {
      const ids = Array.from({ length: 600 }, (_, i) => 100 + (i % 200));
      const r = await model.complete(ids, { maxTokens: 1 });
      assert.equal(r.usage.promptTokens, 600);
      assert.equal(r.timings.promptBatches, want, `batchSize ${batchSize}`);
    } finally {
      await model.dispose();
    }
  }
});

// llama.cpp's context shift: when one free position is left, keep BOS + n_keep tokens, drop half of
// the rest, re-rotate the moved keys and go on. llama.node (ctx_shift on) applies it with n_keep 0:
// greedy output over several shifts is the same text. (It ignores a completion's n_keep, so the
// other settings are checked for effect only.)
test("contextShift generates past a full context as llama.cpp's context shift does", async () => {
  const N_CTX = 64;
  const model = await loadModel(STORIES, { threads: 1, contextLength: N_CTX });
  const oracle = await new Oracle(STORIES, { n_ctx: N_CTX, n_batch: 64, ctx_shift: true }).open();
  try {
    const prompt = 'Once upon a time';
    const base = { maxTokens: 150, temperature: 0, ignoreEos: true };
    const plain = await model.complete(prompt, base);
    assert.equal(plain.finishReason, 'length');
    assert.ok(plain.usage.completionTokens < N_CTX);
    assert.equal(plain.timings.contextShifts, 0);
    const ours = await model.complete(prompt, { ...base, contextShift: true });
    assert.equal(ours.usage.completionTokens, 150);
    assert.ok(ours.timings.contextShifts >= 3, `${ours.timings.contextShifts} shifts`);
    const ref = await oracle.completion({ ...NEUTRAL, prompt, temperature: 0, top_k: 1, n_predict: 150, ignore_eos: true, seed: 1 });
    assert.equal(ours.text, ref.text);
    const texts = new Set([ours.text]);
    for (const more of [{ nKeep: 4 }, { nKeep: -1 }, { nDiscard: 8 }]) {
      const r = await model.complete(prompt, { ...base, contextShift: true, ...more });
      assert.equal(r.usage.completionTokens, 150, JSON.stringify(more));
      if (more.nDiscard) assert.ok(r.timings.contextShifts > ours.timings.contextShifts, 'smaller shifts, more of them');
      texts.add(r.text);
    }
    assert.equal(texts.size, 4, 'what is kept and dropped changes what follows');
    await assert.rejects(model.complete('x', { contextShift: true, nDiscard: -1 }), (e) => e.code === 'invalid_argument');
  } finally {
    await model.dispose();
    await oracle.close();
  }
});
