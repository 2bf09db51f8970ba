// The demo driven like a person: load the preselected default model by URL (progress seen), chat
// with streaming text, Stop mid-answer, New chat; generation runs in the Worker (the page keeps
// painting), in both a cross-origin isolated page (threads) and a plain one (single thread).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assistantText,
  events,
  frames,
  openDemo,
  say,
  session,
  setSettings,
  shot,
  startFrameCounter,
  waitGenerationEnd,
  waitLoaded,
} from './lib.mjs';

/** Samples the answer's length until it has grown `n` times (or generation ended). */
async function watchGrowth(page, n, intervalMs = 60) {
  const seen = [];
  for (let i = 0; i < 200 && seen.length < n; ++i) {
    const len = (await assistantText(page)).length;
    if (len > 0 && len !== seen[seen.length - 1]) seen.push(len);
    if ((await page.getAttribute('#gen-state', 'data-state')) !== 'generating') break;
    await page.waitForTimeout(intervalMs);
  }
  return seen;
}

for (const mode of [
  { name: 'isolated', query: '', wasm: 'mt' },
  { name: 'not-isolated', query: '?coi=0', wasm: 'st' },
]) {
  test(`chat (${mode.name}): load by URL, streaming answer, Stop, New chat; main thread stays responsive`, async (t) => {
    const { page, server } = await session(t);
    await openDemo(page, server, mode.query);
    const coi = await page.evaluate(() => crossOriginIsolated);
    assert.equal(coi, mode.wasm === 'mt', 'crossOriginIsolated');
    assert.equal(await page.getAttribute('#isolation', 'data-threads'), mode.wasm);
    assert.match(await page.textContent('#isolation'), mode.wasm === 'mt' ? /multi-threaded/ : /single thread/);

    // The default model is preselected: the person just presses Load.
    assert.match(await page.inputValue('#model-url'), /\/models\/stories260K\.gguf$/);
    await page.click('#load-url');
    assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
    assert.ok((await events(page, 'download')) >= 2, 'download progress events');
    assert.ok((await events(page, 'load')) >= 2, 'load progress events');
    assert.equal(await events(page, 'cache'), 0);
    assert.equal(await page.getAttribute('#model-info', 'data-wasm'), mode.wasm);
    assert.match(await page.textContent('#model-status'), mode.wasm === 'mt' ? /threads/ : /single thread/);
    assert.ok(
      page.workers().some((w) => w.url().endsWith('/js/dist/worker.js')),
      'the model runs in the package Worker',
    );

    // A long answer: text grows over several observations while frames keep being painted.
    await setSettings(page, { 'max-tokens': 1500, temperature: 0.8 });
    // (A TinyStories model may end its story early with EOS: then try again, at most 4 times.)
    let growth = [];
    let f0;
    let t0;
    for (let attempt = 0; attempt < 4; ++attempt) {
      if (attempt > 0) await page.click('#new-chat');
      await startFrameCounter(page);
      f0 = await frames(page);
      t0 = Date.now();
      await say(page, 'Once upon a time');
      growth = await watchGrowth(page, 4, 30);
      if ((await page.getAttribute('#gen-state', 'data-state')) === 'generating') break;
      t.diagnostic(`attempt ${attempt}: the story ended by itself after ${growth.at(-1)} characters`);
    }
    assert.ok(growth.length >= 4, `the answer grew in steps: ${growth.join(',')}`);
    assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'generating', 'still generating before Stop');
    // Inference on the main thread would stall painting for the whole answer (seconds).
    const f1 = await frames(page);
    const fps = (f1.n - f0.n) / ((Date.now() - t0) / 1000);
    assert.ok(
      fps >= 5 && f1.maxGap < 1000,
      `requestAnimationFrame kept ticking during generation: ${fps.toFixed(1)} frames/s, longest gap ${f1.maxGap.toFixed(0)} ms`,
    );
    t.diagnostic(`frames during generation: ${fps.toFixed(1)}/s, longest gap ${f1.maxGap.toFixed(0)} ms`);
    await shot(page, `chat-${mode.name}-streaming`);
    await page.click('#stop');
    await waitGenerationEnd(page);
    assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'stopped');
    assert.equal(await page.getAttribute('.msg[data-role=assistant]', 'data-state'), 'stopped');
    const stoppedAt = Number(await page.getAttribute('#gen-tokens', 'data-count'));
    assert.ok(stoppedAt > 0 && stoppedAt < 1500, `stopped after ${stoppedAt} tokens`);
    const kept = (await assistantText(page)).length;
    await page.waitForTimeout(300);
    assert.equal((await assistantText(page)).length, kept, 'no text after Stop');
    assert.match(await page.textContent('#tps'), /\d+(\.\d+)? tokens\/s/);
    assert.ok(Number(await page.getAttribute('#ctx-usage', 'data-used')) > stoppedAt, 'context usage counts prompt + answer');

    // The conversation goes on after Stop; then New chat starts over with an empty context.
    await setSettings(page, { 'max-tokens': 24 });
    await say(page, 'Tell me about the cat.');
    await waitGenerationEnd(page);
    assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done');
    assert.equal(await page.locator('.msg[data-role=user]').count(), 2);
    assert.match(await page.getAttribute('.msg[data-role=assistant] >> nth=1', 'data-finish'), /^(length|stop)$/);
    assert.ok(Number(await page.getAttribute('#gen-tokens', 'data-count')) <= 24, 'max tokens is honoured');
    await shot(page, `chat-${mode.name}-second-turn`);
    await page.click('#new-chat');
    assert.equal(await page.locator('.msg').count(), 0);
    assert.equal(await page.getAttribute('#ctx-usage', 'data-used'), '0');
    await setSettings(page, { 'system-prompt': 'You tell short stories.', temperature: 0 });
    await say(page, 'Hello');
    await waitGenerationEnd(page);
    assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done');
    assert.ok((await assistantText(page)).length > 0);
    assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  });
}
