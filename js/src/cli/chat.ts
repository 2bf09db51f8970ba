// `wasm-chord chat`: an interactive chat over stdin/stdout with the model's chat template. Keeps the
// conversation history (multi-turn, KV cache reused); /reset clears it, /exit ends. Works with
// piped stdin too: each line is one user message, each reply is printed followed by a newline.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ChatMessage } from '../chat-types.js';
import { isAbortError } from '../errors.js';
import { HELP_OPTION, MODEL_OPTIONS, SAMPLING_OPTIONS, type CommandSpec, type Values } from './args.js';
import { exitOnBrokenPipe, loadFromArgs, modelArg, modelName, oneLine, requestFromArgs } from './load.js';

export const chatCommand: CommandSpec = {
  name: 'chat',
  summary:
    'Chat with a model: each line read from stdin is a user message, each reply streams to stdout.\n' +
    'Works interactively and with piped input. A line ending in \\ continues on the next line.\n' +
    'Commands: /reset clears the history, /exit (or end of input) quits, /help lists commands.',
  usage: 'wasm-chord chat -m PATH|URL [--system TEXT] [options]',
  maxPositionals: 1,
  options: [
    ...MODEL_OPTIONS,
    { name: 'system', type: 'string', arg: 'TEXT', help: 'system message at the start of the conversation' },
    { name: 'chat-template', type: 'string', arg: 'FILE', help: "Jinja chat template file to use instead of the model's" },
    {
      name: 'n-predict',
      short: 'n',
      aliases: ['max-tokens'],
      type: 'int',
      min: -1,
      arg: 'N',
      help: 'tokens per reply at most, -1 = until the context is full (default -1)',
    },
    ...SAMPLING_OPTIONS,
    { name: 'verbose', short: 'v', type: 'flag', help: 'print token counts and speed after each reply (stderr)' },
    HELP_OPTION,
  ],
  notes: ['Models without a chat template use ChatML (<|im_start|>role ... <|im_end|>).'],
};

const COMMANDS_HELP = '/reset  clear the conversation history\n/exit   quit (also /quit, Ctrl-D)\n/help   this list\n';

export async function chat(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const request = requestFromArgs(values);
  let template: string | undefined;
  const tf = values['chat-template'] as string | undefined;
  if (tf !== undefined) {
    try {
      template = await readFile(tf, 'utf8');
    } catch (e) {
      throw new Error(
        `cannot read chat template '${tf}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
  }
  const interactive = process.stdin.isTTY === true;
  // Ctrl-C while loading aborts the load; afterwards it aborts the current reply (readline's handler).
  const loadCtl = new AbortController();
  const onLoadSigint = () => loadCtl.abort();
  process.once('SIGINT', onLoadSigint);
  let model;
  try {
    model = await loadFromArgs({ values, src, signal: loadCtl.signal });
  } finally {
    process.off('SIGINT', onLoadSigint);
  }
  exitOnBrokenPipe();
  const system: ChatMessage[] = values.system !== undefined ? [{ role: 'system', content: values.system as string }] : [];
  let history: ChatMessage[] = [...system];
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stderr : undefined, terminal: interactive });
  let current: AbortController | undefined;
  let failed = false;
  const onSigint = () => {
    if (current) current.abort();
    else rl.close();
  };
  rl.on('SIGINT', onSigint); // a terminal's Ctrl-C
  process.on('SIGINT', onSigint); // a signal sent to the process
  if (interactive) {
    process.stderr.write(`chatting with ${modelName(src)} (/help for commands, /exit to quit)\n`);
    rl.setPrompt('> ');
    rl.prompt();
  }
  let pending = '';
  try {
    for await (const raw of rl) {
      if (raw.endsWith('\\')) {
        pending += raw.slice(0, -1) + '\n';
        continue;
      }
      const line = pending + raw;
      pending = '';
      const cmd = line.trim();
      if (cmd === '') {
        if (interactive) rl.prompt();
        continue;
      }
      if (cmd === '/exit' || cmd === '/quit') break;
      if (cmd === '/reset') {
        history = [...system];
        process.stderr.write('(history cleared)\n');
        if (interactive) rl.prompt();
        continue;
      }
      if (cmd === '/help') {
        process.stderr.write(COMMANDS_HELP);
        if (interactive) rl.prompt();
        continue;
      }
      if (/^\/[a-z]+$/.test(cmd)) {
        process.stderr.write(`unknown command ${cmd} (/help lists commands)\n`);
        if (interactive) rl.prompt();
        continue;
      }
      const messages: ChatMessage[] = [...history, { role: 'user', content: line }];
      current = new AbortController();
      let reply = '';
      try {
        const stream = await model.chat.completions.create(
          {
            ...request,
            messages,
            stream: true,
            chat_template: template,
          },
          { signal: current.signal },
        );
        for await (const c of stream) {
          const text = c.choices[0]?.delta.content ?? '';
          if (text !== '') {
            process.stdout.write(text);
            reply += text;
          }
          if (c.usage && values.verbose === true)
            process.stderr.write(
              `\n[${c.usage.prompt_tokens} prompt tokens (${c.usage.prompt_tokens_details.cached_tokens} cached), ` +
                `${c.usage.completion_tokens} generated, finish: ${c.choices[0]?.finish_reason}]`,
            );
        }
        process.stdout.write('\n');
        history = [...messages, { role: 'assistant', content: reply }];
      } catch (e) {
        if (reply !== '') process.stdout.write('\n');
        if (isAbortError(e)) process.stderr.write('(reply interrupted; it is not kept in the history)\n');
        else {
          failed = true;
          process.stderr.write(`wasm-chord: error: ${oneLine(e)}\n`);
        }
      } finally {
        current = undefined;
      }
      if (interactive) rl.prompt();
    }
  } finally {
    rl.off('SIGINT', onSigint);
    process.off('SIGINT', onSigint);
    rl.close();
    await model.dispose();
  }
  if (interactive) process.stderr.write('\n');
  return failed ? 1 : 0;
}
