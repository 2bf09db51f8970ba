// What apps build on, through the package in headless Chromium (the model in a Web Worker): JSON
// Schema output, forced tool calls, logprobs and the reasoning split, checked the way the Node
// tests check them; embeddings of a decoder (stories260K) and of a bert encoder (chord-synth's
// tiny-bert, served to the page by a Playwright route, loaded as a Blob), equal to the Node package's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { findModelsDir } from '../../scripts/serve.mjs';
import { REPO, openDemo, session } from './lib.mjs';

const MODELS = findModelsDir() ?? '/work/shared/models';
const TEMPLATES = join(MODELS, 'chat-templates');

test('json_schema, tools, logprobs and reasoning in the browser', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const templates = {
    qwen3: readFileSync(join(TEMPLATES, 'Qwen-Qwen3-0.6B.jinja'), 'utf8'),
    r1: readFileSync(join(TEMPLATES, 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja'), 'utf8'),
  };
  const r = await page.evaluate(async (templates) => {
    const { loadModel } = await import('wasm-chord');
    const model = await loadModel('/models/stories260K.gguf', { cache: 'none' });
    const messages = [{ role: 'user', content: 'Tell me about a cat.' }];
    const out = {};
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer', minimum: 0, maximum: 20 } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const json = await model.chat.completions.create({
      messages,
      max_tokens: 64,
      temperature: 0.7,
      seed: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'cat', schema, strict: true } },
    });
    out.json = json.choices[0].message.content;
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string', maxLength: 12 } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      },
    ];
    const call = await model.chat.completions.create({
      messages,
      tools,
      tool_choice: 'required',
      max_tokens: 64,
      temperature: 0,
      chat_template: templates.qwen3,
    });
    out.finish = call.choices[0].finish_reason;
    out.calls = call.choices[0].message.tool_calls;
    const lp = await model.chat.completions.create({ messages, max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 });
    out.logprobs = lp.choices[0].logprobs.content;
    const think = await model.chat.completions.create({
      messages,
      max_tokens: 8,
      temperature: 0,
      chat_template: templates.r1,
      chat_template_kwargs: { enable_thinking: true },
    });
    out.reasoning = think.choices[0].message.reasoning_content;
    out.content = think.choices[0].message.content;
    await model.dispose();
    return out;
  }, templates);

  const cat = JSON.parse(r.json);
  assert.deepEqual(Object.keys(cat).sort(), ['age', 'name']);
  assert.ok(typeof cat.name === 'string' && cat.name.length <= 10 && Number.isInteger(cat.age) && cat.age >= 0 && cat.age <= 20, r.json);
  assert.equal(r.finish, 'tool_calls');
  assert.equal(r.calls[0].function.name, 'get_weather');
  const args = JSON.parse(r.calls[0].function.arguments);
  assert.ok(typeof args.city === 'string' && args.city.length <= 12 && Object.keys(args).length === 1, r.calls[0].function.arguments);
  assert.equal(r.logprobs.length, 4);
  for (const e of r.logprobs) {
    assert.equal(e.top_logprobs.length, 3);
    assert.equal(e.top_logprobs[0].logprob, e.logprob, 'greedy picks the most likely token');
  }
  assert.ok(r.reasoning.length > 0);
  assert.equal(r.content, '');
});

test('embeddings in the browser equal the Node package ones (decoder and bert encoder)', async (t) => {
  const bert = await new ChordTools(join(REPO, 'build/native-release')).model(join(REPO, 'build/synth'), 'tiny-bert', 'Q8_0', 1);
  const { page, server } = await session(t, { files: { '/synth/tiny-bert.gguf': bert } });
  await openDemo(page, server);
  const texts = ['Once upon a time there was a cat.', 'The dog ran to the park.', 'Hi', 'A red ball rolled down the hill.'];
  const inBrowser = await page.evaluate(async (texts) => {
    const { loadModel } = await import('wasm-chord');
    const out = {};
    // stories260K by URL (fetched in the model's Worker); tiny-bert as a Blob fetched here.
    const bertBlob = await (await fetch('/synth/tiny-bert.gguf')).blob();
    for (const [name, source] of [
      ['stories', '/models/stories260K.gguf'],
      ['bert', bertBlob],
    ]) {
      const model = await loadModel(source, { cache: 'none', contextLength: 128 });
      const vs = await model.embed(texts);
      const api = await model.embeddings.create({ input: texts.slice(0, 2), encoding_format: 'base64' });
      out[name] = { vs: vs.map((v) => Array.from(v)), arch: model.info.arch, api: api.data.map((d) => d.embedding) };
      await model.dispose();
    }
    return out;
  }, texts);
  const cosine = (a, b) => {
    let ab = 0, aa = 0, bb = 0; // prettier-ignore
    for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] * a[i], bb + b[i] * b[i]];
    return ab / Math.sqrt(aa * bb);
  };
  for (const [name, path] of [
    ['stories', join(MODELS, 'gguf', 'stories260K.gguf')],
    ['bert', bert],
  ]) {
    const model = await loadModel(path, { threads: 1, contextLength: 128 });
    const inNode = await model.embed(texts);
    await model.dispose();
    const b = inBrowser[name];
    assert.equal(b.arch, name === 'bert' ? 'bert' : 'llama');
    assert.equal(b.vs.length, texts.length);
    b.vs.forEach((v, i) => assert.ok(cosine(v, inNode[i]) >= 0.99999, `${name} text ${i}: browser vs Node cosine ${cosine(v, inNode[i])}`));
    b.api.forEach((s, i) => {
      const bytes = Buffer.from(s, 'base64');
      const v = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      assert.ok(cosine(v, inNode[i]) >= 0.99999, `${name} embeddings.create base64 ${i}`);
    });
  }
});
