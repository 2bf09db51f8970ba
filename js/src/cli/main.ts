#!/usr/bin/env node
// The `wasm-chord` command (package bin): run, chat, tokenize, inspect, bench, serve. Exit status:
// 0 success, 1 a runtime error (one line on stderr), 2 a usage error, 130 interrupted.
import { readFileSync } from 'node:fs';
import { WasmChordError, isAbortError } from '../errors.js';
import { UsageError, formatHelp, parseArgs, type CommandSpec, type Values } from './args.js';
import { bench, benchCommand } from './bench.js';
import { chat, chatCommand } from './chat.js';
import { inspect, inspectCommand } from './inspect.js';
import { oneLine } from './load.js';
import { run, runCommand } from './run.js';
import { serve, serveCommand } from './serve.js';
import { tokenize, tokenizeCommand } from './tokenize.js';

type Action = (values: Values, positionals: string[]) => Promise<number>;

const COMMANDS: Record<string, { spec: CommandSpec; action: Action }> = {
  run: { spec: runCommand, action: run },
  chat: { spec: chatCommand, action: chat },
  tokenize: { spec: tokenizeCommand, action: tokenize },
  inspect: { spec: inspectCommand, action: inspect },
  bench: { spec: benchCommand, action: bench },
  serve: { spec: serveCommand, action: serve },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const MAIN_HELP = `usage: wasm-chord <command> [options]

LLM inference in WebAssembly: GGUF models from a path or an http(s) URL.

commands:
  run        generate a completion of a prompt, streamed to stdout
  chat       interactive chat with the model's chat template (stdin/stdout)
  tokenize   print the token ids (and pieces) of a text
  inspect    print GGUF metadata and the tensor table
  bench      measure load time, prompt and generation speed
  serve      OpenAI-compatible HTTP server (/v1/chat/completions, /v1/completions, …)

Run 'wasm-chord <command> --help' for a command's options.
  -h, --help       show this help
  -V, --version    print the version
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(MAIN_HELP);
    return 2;
  }
  if (cmd === '-h' || cmd === '--help') {
    process.stdout.write(MAIN_HELP);
    return 0;
  }
  if (cmd === 'help') {
    const topic = rest[0];
    if (topic === undefined) process.stdout.write(MAIN_HELP);
    else if (COMMANDS[topic]) process.stdout.write(formatHelp(COMMANDS[topic].spec));
    else throw new UsageError(`unknown command '${topic}'`);
    return 0;
  }
  if (cmd === '-V' || cmd === '--version') {
    process.stdout.write(`wasm-chord ${version()}\n`);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) throw new UsageError(cmd.startsWith('-') ? `expected a command before '${cmd}'` : `unknown command '${cmd}'`);
  currentCommand = cmd;
  let parsed;
  try {
    parsed = parseArgs(rest, c.spec);
  } catch (e) {
    // --help wins over other mistakes on the line.
    if (!(e instanceof UsageError) || !(rest.includes('-h') || rest.includes('--help'))) throw e;
  }
  if (!parsed || parsed.values.help === true) {
    process.stdout.write(formatHelp(c.spec));
    return 0;
  }
  return c.action(parsed.values, parsed.positionals);
}

let currentCommand: string | undefined;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      const hint = currentCommand ? `wasm-chord ${currentCommand} --help` : 'wasm-chord --help';
      process.stderr.write(`wasm-chord: ${e.message}\nTry '${hint}' for more information.\n`);
      process.exitCode = 2;
    } else if (isAbortError(e)) {
      process.stderr.write('\nwasm-chord: interrupted\n');
      process.exitCode = 130;
    } else {
      const code =
        e instanceof WasmChordError && e.code !== 'internal' && e.code !== 'io_error' && e.code !== 'not_found' ? ` (${e.code})` : '';
      process.stderr.write(`wasm-chord: error: ${oneLine(e)}${code}\n`);
      if (process.env.WASM_CHORD_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    }
  },
);
