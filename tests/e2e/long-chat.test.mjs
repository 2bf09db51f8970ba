// A long conversation in the demo on a small context: 40 turns on 256 tokens keep answering (the
// package drops the oldest turns instead of failing with context_full), with no error state, and
// the page says when older turns were left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assistantText, openDemo, session, setSettings, shot, waitGenerationEnd, waitLoaded } from './lib.mjs';

const TURNS = 40;
const CTX = 256;

test(`long chat: ${TURNS} turns on a ${CTX}-token context all answer`, async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, `?coi=0&ctx=${CTX}`);
  await page.click('#load-url');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  assert.match(await page.textContent('#model-info'), new RegExp(`${CTX} tokens`));
  await setSettings(page, { 'max-tokens': 16, temperature: 0, 'system-prompt': 'You are a storyteller.' });

  const t0 = Date.now();
  let maxUsed = 0;
  let droppedTurns = 0;
  for (let i = 1; i <= TURNS; ++i) {
    await page.fill('#prompt', `Turn ${i}: tell me about the little dog and the red ball.`);
    await page.press('#prompt', 'Enter');
    await waitGenerationEnd(page);
    const st = await page.getAttribute('#gen-state', 'data-state');
    assert.equal(st, 'done', `turn ${i}: ${st} ${await page.textContent('#error')}`);
    assert.equal(await page.isHidden('#error'), true, `turn ${i}: ${await page.textContent('#error')}`);
    assert.equal(await page.getAttribute('.msg[data-role=assistant]:last-child', 'data-state'), 'done');
    assert.ok((await assistantText(page)).trim().length > 0, `turn ${i} produced an answer`);
    const used = Number(await page.getAttribute('#ctx-usage', 'data-used'));
    assert.ok(used > 0 && used <= CTX, `turn ${i}: context usage ${used}`);
    maxUsed = Math.max(maxUsed, used);
    if (Number(await page.getAttribute('#ctx-usage', 'data-dropped')) > 0) droppedTurns++;
  }
  const secs = (Date.now() - t0) / 1000;
  assert.equal(await page.locator('.msg[data-role=user]').count(), TURNS);
  assert.equal(await page.locator('.msg[data-role=assistant][data-state=done]').count(), TURNS);
  // The whole conversation outgrew the context many times over; older turns were left out.
  const full = await page.evaluate(async () => {
    const { messages } = window.__chordDemo.lastRequest;
    return messages.reduce((n, m) => n + m.content.length, 0);
  });
  assert.ok(droppedTurns >= TURNS / 2, `older turns left out in ${droppedTurns} of ${TURNS} turns`);
  assert.match(await page.textContent('#ctx-usage'), /older turns left out/);
  t.diagnostic(
    `${TURNS} turns in ${secs.toFixed(1)} s; context used at most ${maxUsed}/${CTX}; ` +
      `older turns left out in ${droppedTurns} turns; conversation ${full} characters`,
  );
  await shot(page, 'long-chat');
});
