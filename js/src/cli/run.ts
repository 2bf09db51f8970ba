// `wasm-chord run`: completes a prompt and streams the text to stdout as it is generated.
import { readFile } from 'node:fs/promises';
import {
  HELP_OPTION,
  MODEL_OPTIONS,
  PROMPT_TEXT_OPTIONS,
  SAMPLING_OPTIONS,
  UsageError,
  promptTextArgs,
  type CommandSpec,
  type Values,
} from './args.js';
import { exitOnBrokenPipe, interruptSignal, loadFromArgs, modelArg, requestFromArgs } from './load.js';
import { optionsFromRequest } from '../options.js';

export const runCommand: CommandSpec = {
  name: 'run',
  summary:
    'Generate a completion of a prompt, streamed to stdout as tokens are sampled.\n' +
    'The prompt is printed first (as llama.cpp does) unless --no-display-prompt is given.',
  usage: 'wasm-chord run -m PATH|URL [-p PROMPT | -f FILE] [options]',
  maxPositionals: 1,
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', short: 'p', type: 'string', arg: 'TEXT', help: 'prompt text (default: empty, generate from BOS)' },
    { name: 'file', short: 'f', type: 'string', arg: 'FILE', help: 'read the prompt from FILE (- for stdin)' },
    {
      name: 'n-predict',
      short: 'n',
      aliases: ['max-tokens'],
      type: 'int',
      min: -1,
      arg: 'N',
      help: 'tokens to generate, -1 = until the context is full (default 256)',
    },
    ...SAMPLING_OPTIONS,
    { name: 'ignore-eos', type: 'flag', help: 'keep generating past end-of-generation tokens' },
    ...PROMPT_TEXT_OPTIONS,
    { name: 'no-display-prompt', type: 'flag', help: 'do not print the prompt before the completion' },
    {
      name: 'json',
      type: 'flag',
      help: 'print one JSON object (text, tokens, finish reason, usage, timings) at the end instead of streaming',
    },
    { name: 'verbose', short: 'v', type: 'flag', help: 'print model info and timings to stderr' },
    HELP_OPTION,
  ],
  notes: [
    'examples:',
    '  wasm-chord run -m stories260K.gguf -p "Once upon a time" -n 64',
    '  wasm-chord run -m https://example.org/model.gguf -p "Hello" --temp 0 --stop "The end"',
  ],
};

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function promptArg(values: Values): Promise<string> {
  const p = values.prompt as string | undefined;
  const f = values.file as string | undefined;
  if (p !== undefined && f !== undefined) throw new UsageError('give the prompt with -p or -f, not both');
  if (f === undefined) return p ?? '';
  if (f === '-') return readStdin();
  try {
    return await readFile(f, 'utf8');
  } catch (e) {
    throw new Error(
      `cannot read prompt file '${f}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

export async function run(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const request = requestFromArgs(values);
  const prompt = await promptArg(values);
  const json = values.json === true;
  const interrupt = interruptSignal();
  const model = await loadFromArgs({ values, src, signal: interrupt.signal });
  try {
    const verbose = values.verbose === true;
    if (verbose) {
      const i = model.info;
      process.stderr.write(
        `model: ${i.arch} '${i.name}', ${i.parameterCount} parameters, ${i.fileBytes} bytes, ` +
          `context ${i.contextLength}, ${i.threads} thread(s), wasm ${i.wasm}${i.memory64 ? ' (Memory64)' : ''}\n`,
      );
    }
    const stream = model.generate(prompt, {
      ...optionsFromRequest(request, { contextLength: model.info.contextLength }),
      ignoreEos: values['ignore-eos'] === true,
      ...promptTextArgs(values),
      signal: interrupt.signal,
    });
    exitOnBrokenPipe();
    let last = prompt;
    if (!json && values['no-display-prompt'] !== true && prompt !== '') process.stdout.write(prompt);
    for await (const c of stream) {
      if (json || c.text === '') continue;
      process.stdout.write(c.text);
      last = c.text;
    }
    const r = await stream.result;
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    else if (process.stdout.isTTY && !last.endsWith('\n')) process.stdout.write('\n');
    if (verbose) {
      const { promptMs, totalMs } = r.timings;
      const decodeMs = totalMs - promptMs;
      const rate = (tokens: number, ms: number) => (ms > 0 ? (tokens / ms) * 1000 : 0).toFixed(1);
      process.stderr.write(
        `prompt: ${r.usage.promptTokens} tokens (${r.usage.cachedTokens} cached) in ${promptMs.toFixed(1)} ms ` +
          `(${rate(r.usage.promptTokens, promptMs)} tok/s); generated: ${r.usage.completionTokens} tokens in ${totalMs.toFixed(1)} ms ` +
          `(${rate(Math.max(0, r.usage.completionTokens - 1), decodeMs)} tok/s after the first); finish: ${r.finishReason}\n`,
      );
    }
    return 0;
  } finally {
    interrupt.dispose();
    await model.dispose();
  }
}
