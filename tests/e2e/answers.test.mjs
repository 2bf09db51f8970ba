// How the demo shows answers: markdown rendered (code blocks, bold) while the model's own HTML never
// runs nor loads anything; a reasoning model's thinking streams into a block that folds when the
// answer starts; repaints at most once per frame; the Thinking and JSON-mode settings shape the
// request that reaches the model. Controlled replies go through window.__chordDemo.replay, the
// same path (readStream → AssistantView) a model's stream takes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findModelsDir } from '../../scripts/serve.mjs';
import { assistantText, openDemo, say, session, setSettings, shot, waitGenerationEnd, waitLoaded } from './lib.mjs';

const chunk = (delta) => ({ choices: [{ index: 0, delta, finish_reason: null }] });

/** `text` cut into pieces of `n` characters (a stream cuts tags and fences anywhere). */
function pieces(text, n) {
  const out = [];
  for (let i = 0; i < text.length; i += n) out.push(text.slice(i, i + n));
  return out;
}

const HOSTILE = [
  'Here is **bold** and `inline code`.',
  '',
  '```js',
  'const x = "<b>not markup</b>";',
  '```',
  '',
  '<img src="/x-img" onerror="window.__pwned = \'img\'">',
  '<script>window.__pwned = "script"</script>',
  '<svg onload="window.__pwned = \'svg\'"><circle r="5"/></svg>',
  '<iframe srcdoc="<script>parent.__pwned = \'iframe\'</script>"></iframe>',
  '<details open ontoggle="window.__pwned = \'details\'">x</details>',
  '<a href="javascript:window.__pwned = \'link\'" id="evil-link">click</a>',
  '<p style="position:fixed;inset:0">styled</p>',
  '',
  '[md link](javascript:void(window.__pwned=1)) and ![tracker](/x-md-img)',
].join('\n');

function answerHtml(page) {
  return page.evaluate(() => document.querySelector('.msg[data-role=assistant]:last-child .body').innerHTML);
}

test("answers: markdown renders as elements, the model's HTML never runs or loads", async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?coi=0');
  // Cut into 7-character chunks: the page re-renders half-open tags and fences as they stream.
  await page.evaluate(
    (cs) => window.__chordDemo.replay(cs, { delayMs: 2 }),
    pieces(HOSTILE, 7).map((p) => chunk({ content: p })),
  );
  await page.waitForTimeout(300); // anything that would fire (onerror, onload, ontoggle) has had time to
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script from the answer ran');
  const body = page.locator('.msg[data-role=assistant] .body');
  assert.equal(await body.locator('strong').first().textContent(), 'bold');
  assert.equal(await body.locator('pre > code.language-js').textContent(), 'const x = "<b>not markup</b>";\n');
  assert.equal(await body.locator('p code').first().textContent(), 'inline code');
  for (const tag of ['img', 'script', 'svg', 'iframe', 'details', 'style'])
    assert.equal(await body.locator(tag).count(), 0, `no <${tag}> in the answer`);
  assert.equal(await body.locator('[style], [onerror], [onload], [ontoggle]').count(), 0, 'no inline styles or handlers');
  for (const href of await body.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
    assert.ok(href === null || !/^javascript:/i.test(href), `link href ${href}`);
  // Nothing the model wrote was fetched (images and iframes would show up in the server's log).
  assert.deepEqual(
    server.stats.requests.filter((r) => r.path.startsWith('/x-')),
    [],
  );
  assert.match(await assistantText(page), /click/);
  assert.equal(await body.locator('a', { hasText: 'md link' }).count(), 1, 'a markdown link renders (without its script)');
  await shot(page, 'answers-markdown');

  // Text that is only prose stays prose; a streamed table and list render too.
  await page.evaluate(
    (cs) => window.__chordDemo.replay(cs),
    pieces('| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two', 5).map((p) => chunk({ content: p })),
  );
  assert.equal(await page.locator('.msg[data-role=assistant]:last-child .body table td').count(), 2);
  assert.equal(await page.locator('.msg[data-role=assistant]:last-child .body ul > li').count(), 2);

  // JSON mode shows the answer as JSON code (no markdown inside it) and says whether it parses.
  const json = '{"a": [1, 2], "b": "**not bold** <img src=/x-json>"}';
  for (const [text, verdict] of [
    [json, 'valid'],
    [json.slice(0, 20), 'invalid'],
  ]) {
    await page.evaluate(([cs]) => window.__chordDemo.replay(cs, { json: true }), [pieces(text, 4).map((p) => chunk({ content: p }))]);
    const last = page.locator('.msg[data-role=assistant]:last-child');
    assert.equal(await last.locator('.body > pre > code.language-json').textContent(), text);
    assert.equal(await last.locator('.body strong, .body img').count(), 0);
    assert.equal(await last.getAttribute('data-json'), verdict);
  }
});

test('answers: repainted at most once per animation frame', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?coi=0');
  // 400 chunks arriving back to back (no pause: all before the next frame) must not mean 400
  // markdown renders; count the answer's DOM replacements.
  const { renders, text } = await page.evaluate(
    async (cs) => {
      const done = window.__chordDemo.replay(cs);
      const body = document.querySelector('.msg[data-role=assistant]:last-child .body');
      let renders = 0;
      new MutationObserver((records) => {
        renders += records.filter((r) => r.target === body).length;
      }).observe(body, { childList: true });
      await done;
      await new Promise((r) => setTimeout(r, 50));
      return { renders, text: body.textContent };
    },
    Array.from({ length: 400 }, (_, i) => chunk({ content: `w${i} ` })),
  );
  assert.ok(text.startsWith('w0 w1 w2') && text.trimEnd().endsWith('w399'), text.slice(0, 40));
  assert.ok(renders >= 1 && renders <= 3, `the answer was rendered ${renders} times for 400 chunks`);
});

test('answers: thinking streams into a block that folds when the answer starts', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?coi=0');
  const thinking = 'First, the question asks for a sum. <img src=/x-think onerror="window.__pwned=1"> 2 + 2 is 4.';
  const cs = [
    chunk({ role: 'assistant', content: '' }),
    ...pieces(thinking, 6).map((p) => chunk({ reasoning_content: p })),
    ...pieces('The answer is **4**.', 4).map((p) => chunk({ content: p })),
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 } },
  ];
  await page.evaluate((c) => {
    window.__replay = window.__chordDemo.replay(c, { delayMs: 60 });
  }, cs);
  const block = page.locator('.msg[data-role=assistant] details.thinking');
  // While thinking: the block is shown open and its text grows.
  await page.waitForSelector('.msg[data-role=assistant] details.thinking[open][data-state=thinking]', { timeout: 5000 });
  const early = (await block.locator('.thinking-body').textContent()).length;
  await page.waitForTimeout(250);
  const later = (await block.locator('.thinking-body').textContent()).length;
  assert.ok(later > early && early > 0, `thinking text grew while streaming: ${early} → ${later}`);
  assert.match(await block.locator('summary').textContent(), /Thinking/);
  assert.equal(await assistantText(page), '', 'no answer yet');
  await shot(page, 'answers-thinking-open');
  await page.evaluate(() => window.__replay);
  // The answer started: the block is folded, keeps the whole thinking as text, the answer is markdown.
  assert.equal(await block.getAttribute('data-state'), 'done');
  assert.equal(await block.evaluate((d) => d.open), false, 'folded once the answer started');
  assert.match(await block.locator('summary').textContent(), /^Thought for \d+\.\d s$/);
  assert.equal(await block.locator('.thinking-body').textContent(), thinking);
  assert.equal(await block.locator('img').count(), 0, 'thinking is shown as text');
  assert.equal((await assistantText(page)).trim(), 'The answer is 4.');
  assert.equal(await page.locator('.msg[data-role=assistant] .body strong').textContent(), '4');
  assert.equal(await page.getAttribute('.msg[data-role=assistant]', 'data-finish'), 'stop');
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await block.locator('summary').click();
  assert.equal(await block.evaluate((d) => d.open), true, 'a person can open it again');
  await shot(page, 'answers-thinking-folded');

  // A model that does not think shows no block.
  await page.evaluate((c) => window.__chordDemo.replay(c), [chunk({ content: 'plain' })]);
  assert.equal(await page.locator('.msg[data-role=assistant]:last-child details.thinking').isHidden(), true);
});

test('answers: Thinking and JSON mode settings shape the request the model gets', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?coi=0');
  await page.click('#load-url');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  await setSettings(page, { 'max-tokens': 12, temperature: 0 });

  // Defaults: thinking on, JSON mode off; the model's answer is rendered as markdown.
  assert.equal(await page.isChecked('#thinking'), true);
  assert.equal(await page.isChecked('#json-mode'), false);
  await say(page, 'Hello');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done', await page.textContent('#error'));
  let req = await page.evaluate(() => window.__chordDemo.lastRequest);
  assert.deepEqual(req.chat_template_kwargs, { enable_thinking: true });
  assert.equal(req.response_format, undefined);
  assert.equal(req.max_tokens, 12);
  assert.ok((await assistantText(page)).length > 0);
  assert.ok((await page.locator('.msg[data-role=assistant] .body p').count()) >= 1, 'a model answer goes through markdown');

  // Thinking off, JSON mode on: both reach chat.completions.create; the answer shows as JSON code.
  await page.uncheck('#thinking');
  await page.check('#json-mode');
  await setSettings(page, { 'max-tokens': 80 });
  await say(page, 'Give me a JSON object');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done', await page.textContent('#error'));
  req = await page.evaluate(() => window.__chordDemo.lastRequest);
  assert.deepEqual(req.chat_template_kwargs, { enable_thinking: false });
  assert.deepEqual(req.response_format, { type: 'json_object' });
  assert.equal(req.messages.at(-1).content, 'Give me a JSON object');
  const code = page.locator('.msg[data-role=assistant]:last-child .body > pre > code.language-json');
  assert.equal(await code.count(), 1);
  assert.equal(await code.textContent(), await assistantText(page));
  // response_format constrains even stories260K: its greedy answer is a whole JSON object.
  const answer = await assistantText(page);
  assert.equal(await page.getAttribute('.msg[data-role=assistant]:last-child', 'data-finish'), 'stop', answer);
  assert.equal(typeof JSON.parse(answer), 'object', answer);
  assert.equal(await page.getAttribute('.msg[data-role=assistant]:last-child', 'data-json'), 'valid');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  await shot(page, 'answers-json-mode');
});

test("answers: a reasoning template streams the model's thinking into the block; Thinking off answers", async (t) => {
  const { page, server } = await session(t);
  // DeepSeek-R1 distills' template opens <think> in the generation prompt when thinking is on:
  // the package then streams what stories260K writes as reasoning_content (it never closes it).
  const r1 = readFileSync(join(findModelsDir(), 'chat-templates', 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja'), 'utf8');
  await openDemo(page, server, '?coi=0');
  await page.click('#load-url');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  await setSettings(page, { 'max-tokens': 24, temperature: 0, 'chat-template': r1 });

  await say(page, 'Tell me a story.');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done', await page.textContent('#error'));
  assert.equal((await page.evaluate(() => window.__chordDemo.lastRequest)).chat_template, r1);
  const block = page.locator('.msg[data-role=assistant]:last-child details.thinking');
  assert.equal(await block.isVisible(), true);
  assert.equal(await block.getAttribute('data-state'), 'ended', 'all thinking, no answer within 24 tokens');
  assert.equal(await block.locator('summary').textContent(), 'Thinking (no answer)');
  assert.ok((await block.locator('.thinking-body').textContent()).trim().length > 0, "the model's thinking is shown");
  assert.equal(await assistantText(page), '');
  await shot(page, 'answers-model-thinking');

  await page.uncheck('#thinking');
  await say(page, 'Tell me a story.');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done', await page.textContent('#error'));
  assert.equal(await page.locator('.msg[data-role=assistant]:last-child details.thinking').isHidden(), true);
  assert.ok((await assistantText(page)).trim().length > 0, 'thinking off: the reply is the answer');
  // The all-thinking turn went back into the history as an empty answer, not as its thinking.
  const { messages } = await page.evaluate(() => window.__chordDemo.lastRequest);
  assert.deepEqual(
    messages.map((m) => m.role),
    ['user', 'assistant', 'user'],
  );
  assert.equal(messages[1].content, '');
});
