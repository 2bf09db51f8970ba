// `wasm-chord tokenize`: prints the token ids of a text (optionally with each token's piece).
import { readFile } from 'node:fs/promises';
import { HELP_OPTION, MODEL_OPTIONS, PROMPT_TEXT_OPTIONS, UsageError, promptTextArgs, type CommandSpec, type Values } from './args.js';
import { exitOnBrokenPipe, loadFromArgs, modelArg } from './load.js';

export const tokenizeCommand: CommandSpec = {
  name: 'tokenize',
  summary:
    "Tokenize a text with the model's tokenizer. Prints the ids as a JSON array on one line;\n" +
    '--pieces prints one token a line (id, tab, the piece as a JSON string), --json an array of {id, piece}.',
  usage: 'wasm-chord tokenize -m PATH|URL (-p TEXT | -f FILE) [options]',
  maxPositionals: 1,
  options: [
    ...MODEL_OPTIONS.filter((o) => o.name !== 'batch-size'),
    { name: 'prompt', short: 'p', type: 'string', arg: 'TEXT', help: 'the text to tokenize' },
    { name: 'file', short: 'f', type: 'string', arg: 'FILE', help: 'read the text from FILE (- for stdin)' },
    { name: 'pieces', type: 'flag', help: 'one token a line: id and piece' },
    { name: 'json', type: 'flag', help: 'a JSON array of {id, piece}' },
    { name: 'count', type: 'flag', help: 'print only the number of tokens' },
    ...PROMPT_TEXT_OPTIONS,
    HELP_OPTION,
  ],
};

/** A token's bytes as text; bytes that are not complete UTF-8 are shown as <0xNN>. */
export function pieceText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Array.from(bytes, (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`).join('');
  }
}

async function textArg(values: Values): Promise<string> {
  const p = values.prompt as string | undefined;
  const f = values.file as string | undefined;
  if (p !== undefined && f !== undefined) throw new UsageError('give the text with -p or -f, not both');
  if (p !== undefined) return p;
  if (f === undefined) throw new UsageError('no text to tokenize: give -p TEXT or -f FILE');
  if (f === '-') {
    const parts: Buffer[] = [];
    for await (const c of process.stdin) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }
  try {
    return await readFile(f, 'utf8');
  } catch (e) {
    throw new Error(`cannot read '${f}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function tokenize(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const modes = ['pieces', 'json', 'count'].filter((k) => values[k] === true);
  if (modes.length > 1) throw new UsageError(`choose one of --${modes.join(', --')}`);
  const text = await textArg(values);
  // The tokenizer needs no KV cache to speak of.
  const model = await loadFromArgs({ values, src, contextLength: 16 });
  try {
    exitOnBrokenPipe();
    const ids = await model.tokenize(text, promptTextArgs(values));
    if (values.count === true) {
      process.stdout.write(`${ids.length}\n`);
    } else if (values.pieces === true || values.json === true) {
      const pieces = await Promise.all(ids.map(async (id) => pieceText(await model.tokenBytes(id))));
      if (values.json === true) process.stdout.write(JSON.stringify(ids.map((id, i) => ({ id, piece: pieces[i] }))) + '\n');
      else process.stdout.write(ids.map((id, i) => `${id}\t${JSON.stringify(pieces[i])}\n`).join(''));
    } else {
      process.stdout.write(JSON.stringify(ids) + '\n');
    }
    return 0;
  } finally {
    await model.dispose();
  }
}
