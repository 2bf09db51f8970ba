// Command-line option parsing for the wasm-chord CLI: a table of options per command drives both
// the parser (GNU-style long/short options, typed values, repeatable lists) and the --help text.

/** A command-line mistake: the CLI prints it with a hint and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'string' | 'number' | 'int' | 'flag' | 'list';

export interface OptionSpec {
  /** Long name without the dashes; also the key in the parsed values. */
  name: string;
  short?: string;
  /** Other long names accepted for the same option (e.g. llama.cpp's spelling). */
  aliases?: string[];
  /** Names of several letters written with one dash (llama.cpp's -hf). */
  dashNames?: string[];
  type: OptionType;
  /** Placeholder shown in --help, e.g. 'N'. */
  arg?: string;
  help: string;
  /** Lower bound checked for number/int options. */
  min?: number;
  /** Upper bound checked for number/int options. */
  max?: number;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec[];
  /** Extra lines after the option list (examples, notes). */
  notes?: string[];
  /** Positional arguments accepted (default 0). */
  maxPositionals?: number;
}

export type Values = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
}

function parseNumber(spec: OptionSpec, raw: string): number {
  const flag = `--${spec.name}`;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} needs a number, got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(n)) throw new UsageError(`${flag} needs an integer, got '${raw}'`);
  if (spec.min !== undefined && n < spec.min) throw new UsageError(`${flag} must be at least ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && n > spec.max) throw new UsageError(`${flag} must be at most ${spec.max}, got ${raw}`);
  return n;
}

/** Parses argv (without the command name) against a command's option table. */
export function parseArgs(argv: readonly string[], cmd: CommandSpec): Parsed {
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  const byDash = new Map<string, OptionSpec>();
  for (const o of cmd.options) {
    byLong.set(o.name, o);
    for (const a of o.aliases ?? []) byLong.set(a, o);
    for (const d of o.dashNames ?? []) byDash.set(d, o);
    if (o.short) byShort.set(o.short, o);
  }
  const values: Values = {};
  const positionals: string[] = [];
  const take = (spec: OptionSpec, shown: string, inline: string | undefined, i: number): [string, number] => {
    if (inline !== undefined) return [inline, i];
    // Values may start with '-' (e.g. --seed -1): whatever follows a value-taking option is its value.
    if (i + 1 >= argv.length) throw new UsageError(`${shown} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
    return [argv[i + 1]!, i + 1];
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let shown = a;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      spec = byLong.get(name);
      shown = `--${name}`;
      if (!spec) throw new UsageError(`unknown option ${shown} for '${cmd.name}'`);
    } else if (a.startsWith('-') && byDash.has(a.split('=')[0]!.slice(1))) {
      const eq = a.indexOf('=');
      shown = eq < 0 ? a : a.slice(0, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      spec = byDash.get(shown.slice(1))!;
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      spec = byShort.get(a[1]!);
      shown = a.slice(0, 2);
      if (!spec) throw new UsageError(`unknown option ${shown} for '${cmd.name}'`);
      if (a.length > 2) inline = a[2] === '=' ? a.slice(3) : a.slice(2);
    } else {
      positionals.push(a);
      continue;
    }
    if (spec.type === 'flag') {
      if (inline !== undefined) throw new UsageError(`${shown} takes no value`);
      values[spec.name] = true;
      continue;
    }
    const [raw, next] = take(spec, shown, inline, i);
    i = next;
    if (spec.type === 'list') {
      const prev = values[spec.name];
      values[spec.name] = [...(Array.isArray(prev) ? prev : []), raw];
    } else if (spec.type === 'string') {
      values[spec.name] = raw;
    } else {
      values[spec.name] = parseNumber(spec, raw);
    }
  }
  const max = cmd.maxPositionals ?? 0;
  if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}' for '${cmd.name}'`);
  return { values, positionals };
}

/** The --help text of a command, generated from its option table. */
export function formatHelp(cmd: CommandSpec): string {
  const rows = cmd.options.map((o) => {
    const names = [
      o.short ? `-${o.short}` : '',
      ...(o.dashNames ?? []).map((d) => `-${d}`),
      `--${o.name}`,
      ...(o.aliases ?? []).map((a) => `--${a}`),
    ]
      .filter(Boolean)
      .join(', ');
    const arg = o.type === 'flag' ? '' : ` ${o.arg ?? (o.type === 'string' || o.type === 'list' ? 'TEXT' : 'N')}`;
    return [`  ${names}${arg}`, o.help] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = [`usage: ${cmd.usage}`, '', cmd.summary, '', 'options:'];
  for (const [left, help] of rows) {
    if (left.length + 1 > width) lines.push(left, `${' '.repeat(width)}${help}`);
    else lines.push(left.padEnd(width) + help);
  }
  if (cmd.notes?.length) lines.push('', ...cmd.notes);
  return lines.join('\n') + '\n';
}

// ---- option groups shared by several commands ----

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'flag', help: 'show this help and exit' };

/** Loading from the Hugging Face hub (llama.cpp's flags; HF_ENDPOINT sets the hub's address). */
export const HF_OPTIONS: OptionSpec[] = [
  {
    name: 'hf-repo',
    dashNames: ['hf', 'hfr'],
    aliases: ['hf'],
    type: 'string',
    arg: 'USER/MODEL[:QUANT]',
    help: 'model from the Hugging Face hub ($HF_ENDPOINT for a mirror): a repo and quant (default Q4_K_M, else Q4_0, Q8_0, the first), or USER/MODEL/FILE.gguf',
  },
  { name: 'hf-file', dashNames: ['hff'], type: 'string', arg: 'FILE', help: 'with -hf: this file of the repo instead of a quant' },
  {
    name: 'hf-token',
    dashNames: ['hft'],
    type: 'string',
    arg: 'TOKEN',
    help: 'Hugging Face token for private and gated repos (default: $HF_TOKEN)',
  },
  {
    name: 'no-download-cache',
    type: 'flag',
    help: 'with -hf: do not keep or reuse downloads in $WASM_CHORD_CACHE (default ~/.cache/wasm-chord)',
  },
];

export const MODEL_OPTIONS: OptionSpec[] = [
  {
    name: 'model',
    short: 'm',
    type: 'string',
    arg: 'PATH|URL',
    help: 'GGUF model file, http(s) URL or hf:USER/MODEL[:QUANT] (or use -hf)',
  },
  ...HF_OPTIONS,
  { name: 'threads', short: 't', type: 'string', arg: 'N|auto', help: 'kernel threads (default auto: up to 8 cores)' },
  {
    name: 'ctx-size',
    short: 'c',
    aliases: ['ctx'],
    type: 'int',
    min: 0,
    arg: 'N',
    help: "context length in tokens (default: model's, at most 4096)",
  },
  { name: 'batch-size', short: 'b', type: 'int', min: 1, arg: 'N', help: 'prompt tokens per forward batch (default 64)' },
  { name: 'progress', type: 'flag', help: 'show the loading progress bar even when stderr is not a terminal' },
  { name: 'no-progress', type: 'flag', help: 'never show the loading progress bar' },
];

export const SAMPLING_OPTIONS: OptionSpec[] = [
  { name: 'temp', aliases: ['temperature'], type: 'number', min: 0, arg: 'T', help: 'temperature; 0 = greedy (default 0.8)' },
  { name: 'top-k', type: 'int', min: 0, arg: 'K', help: 'top-k sampling, 0 = off (default 40)' },
  { name: 'top-p', type: 'number', min: 0, max: 1, arg: 'P', help: 'top-p (nucleus) sampling, 1 = off (default 0.95)' },
  { name: 'min-p', type: 'number', min: 0, max: 1, arg: 'P', help: 'min-p sampling, 0 = off (default 0.05)' },
  { name: 'repeat-penalty', type: 'number', min: 0, arg: 'R', help: 'repetition penalty, 1 = off (default 1)' },
  { name: 'repeat-last-n', type: 'int', min: -1, arg: 'N', help: 'tokens the penalties look back over, -1 = all (default 64)' },
  { name: 'frequency-penalty', type: 'number', arg: 'F', help: 'frequency penalty (default 0)' },
  { name: 'presence-penalty', type: 'number', arg: 'F', help: 'presence penalty (default 0)' },
  { name: 'seed', short: 's', type: 'int', min: -1, arg: 'N', help: 'random seed, -1 = random (default -1)' },
  { name: 'stop', type: 'list', arg: 'TEXT', help: 'stop before this text (repeatable)' },
];

/** How a raw-text prompt is tokenized (run, tokenize). */
export const PROMPT_TEXT_OPTIONS: OptionSpec[] = [
  { name: 'no-bos', type: 'flag', help: "do not add BOS/EOS as the model's metadata says" },
  {
    name: 'no-parse-special',
    type: 'flag',
    help: 'keep special-token text (e.g. <|im_start|>, <s>) as plain text; by default it becomes those tokens, as in llama.cpp (use for untrusted text)',
  },
  { name: 'parse-special', type: 'flag', help: 'turn special-token text into those tokens (the default)' },
];

/** The tokenize options PROMPT_TEXT_OPTIONS give. */
export function promptTextArgs(values: Values): { addSpecial: boolean; parseSpecial: boolean } {
  if (values['parse-special'] === true && values['no-parse-special'] === true)
    throw new UsageError('give --parse-special or --no-parse-special, not both');
  return { addSpecial: values['no-bos'] !== true, parseSpecial: values['no-parse-special'] !== true };
}
