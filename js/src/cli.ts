#!/usr/bin/env node
// wasm-chord CLI: run a prompt, chat once, tokenize, or print model info with the wasm runtime.
//   wasm-chord run MODEL -p TEXT [-n 64] [--temp 0.8] [--seed 1] [--threads auto] …
//   wasm-chord chat MODEL -p MESSAGE [--system TEXT]     wasm-chord info MODEL     wasm-chord tokenize MODEL -p TEXT
import { parseArgs } from 'node:util';
import { WasmChordError, loadModel } from './node.js';
import type { GenerateOptions } from './types.js';

const USAGE = `usage: wasm-chord <run|chat|info|tokenize> MODEL [options]
  -p, --prompt TEXT       prompt (run, tokenize) or user message (chat)
  -n, --max-tokens N      tokens to generate (default 256)
  --temp T  --top-k K  --top-p P  --min-p P  --repeat-penalty R  --seed S
  --stop TEXT             stop string (repeatable)
  --system TEXT           system message (chat)
  --threads N|auto        kernel threads (default auto)
  -c, --ctx N             context length (default: model's, at most 4096)
  --json                  print the result as JSON instead of streaming text`;

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new WasmChordError('invalid_argument', `${name} must be a number`);
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prompt: { type: 'string', short: 'p', default: '' },
      'max-tokens': { type: 'string', short: 'n' },
      temp: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
      'min-p': { type: 'string' }, 'repeat-penalty': { type: 'string' }, seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      system: { type: 'string' },
      threads: { type: 'string', default: 'auto' },
      ctx: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [cmd, path] = positionals;
  if (values.help || !cmd || !path || !['run', 'chat', 'info', 'tokenize'].includes(cmd)) {
    (values.help ? process.stdout : process.stderr).write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const threads = values.threads === 'auto' ? 'auto' : num(values.threads, '--threads');
  const model = await loadModel(path, { threads, contextLength: num(values.ctx, '--ctx') });
  try {
    if (cmd === 'info') {
      const { chatTemplate, ...info } = model.info;
      process.stdout.write(JSON.stringify({ ...info, chatTemplate: chatTemplate ? `${chatTemplate.length} chars` : null }, null, 2) + '\n');
      return 0;
    }
    if (cmd === 'tokenize') {
      process.stdout.write(JSON.stringify(await model.tokenize(values.prompt)) + '\n');
      return 0;
    }
    const opts: GenerateOptions = {
      maxTokens: num(values['max-tokens'], '--max-tokens'), temperature: num(values.temp, '--temp'),
      topK: num(values['top-k'], '--top-k'), topP: num(values['top-p'], '--top-p'), minP: num(values['min-p'], '--min-p'),
      repeatPenalty: num(values['repeat-penalty'], '--repeat-penalty'), seed: num(values.seed, '--seed'), stop: values.stop,
    };
    if (cmd === 'chat') {
      const messages = [...(values.system ? [{ role: 'system', content: values.system }] : []), { role: 'user', content: values.prompt }];
      const stream = await model.chat.completions.create({
        messages, stream: true, max_tokens: opts.maxTokens, temperature: opts.temperature, top_k: opts.topK,
        top_p: opts.topP, min_p: opts.minP, repeat_penalty: opts.repeatPenalty, seed: opts.seed as number | undefined, stop: values.stop,
      });
      for await (const c of stream) {
        if (values.json) { if (c.usage) process.stdout.write(JSON.stringify(c) + '\n'); }
        else process.stdout.write(c.choices[0]?.delta.content ?? '');
      }
      if (!values.json) process.stdout.write('\n');
      return 0;
    }
    const stream = model.generate(values.prompt, opts);
    for await (const c of stream) if (!values.json) process.stdout.write(c.text);
    const r = await stream.result;
    process.stdout.write(values.json ? JSON.stringify(r) + '\n' : '\n');
    process.stderr.write(`[${r.usage.completionTokens} tokens, ${(r.usage.completionTokens / ((r.timings.totalMs - r.timings.promptMs) / 1000 || 1)).toFixed(1)} tok/s, finish: ${r.finishReason}]\n`);
    return 0;
  } finally {
    await model.dispose();
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof WasmChordError) {
    process.stderr.write(`error: ${e.code}: ${e.message}\n`);
    process.exitCode = e.code === 'invalid_argument' ? 2 : 1;
  } else {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 2;
  }
});
