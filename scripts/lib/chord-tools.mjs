// Runs the native tools (chord-cli, chord-synth) for scripts and parses their output.
import { execFile } from 'node:child_process';
import { existsSync, statSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MAX_BUFFER = 256 << 20;
// Context length of every run: the llama.cpp oracle's n_ctx (scripts/lib/llama-oracle.mjs), so that
// what depends on it (phi3's LongRoPE long/short factors) is chosen alike; longer when the ids need it.
const CTX = 256;

export class ChordTools {
  // cli: another chord-cli to compare (e.g. the wasm build's chord-cli.js, run with Node);
  // chord-synth always comes from binDir (it is native only).
  constructor(binDir, { threads = 2, cli = null } = {}) {
    this.cli = cli ?? join(binDir, 'chord-cli');
    this.synth = join(binDir, 'chord-synth');
    this.threads = threads;
    for (const b of [this.cli, this.synth]) {
      if (!existsSync(b)) {
        throw new Error(`${b} not found: build the native tools first (bash scripts/build.sh native-release), ` + 'or pass --bin DIR');
      }
    }
  }

  async #cli(args) {
    try {
      // A wasm CLI runs under this Node, or under CHORD_CLI_NODE (the relaxed-SIMD build needs Node 24,
      // whose Emscripten does not need the fetch flag).
      const node = process.env.CHORD_CLI_NODE;
      const [cmd, argv] = !this.cli.endsWith('.js')
        ? [this.cli, args]
        : node
          ? [node, [this.cli, ...args]]
          : [process.execPath, ['--no-experimental-fetch', this.cli, ...args]];
      const { stdout } = await run(cmd, argv, { maxBuffer: MAX_BUFFER });
      return stdout;
    } catch (e) {
      throw new Error(`chord-cli ${args.slice(0, 2).join(' ')} failed: ${(e.stderr || e.message).trim()}`);
    }
  }

  // Generates (or reuses) a synthetic model; regenerated when older than the chord-synth binary.
  // extra: more chord-synth arguments, with a tag for the file name.
  async model(cacheDir, preset, type, seed, { extra = [], tag = '' } = {}) {
    const out = join(cacheDir, `${preset}-${type}-s${seed}${tag}.gguf`);
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(this.synth).mtimeMs) return out;
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp${process.pid}`;
    try {
      await run(
        this.synth,
        ['--preset', preset, '--type', type, '--seed', String(seed), '-o', tmp, '--threads', String(this.threads), ...extra],
        { maxBuffer: MAX_BUFFER },
      );
    } catch (e) {
      throw new Error(`chord-synth ${preset} ${type} failed: ${(e.stderr || e.message).trim()}`);
    }
    renameSync(tmp, out);
    return out;
  }

  // Ids of text with special tokens parsed, as llama.cpp's completion (BOS per the model) or,
  // with bos false, as llama.node's tokenize() (no BOS/EOS).
  async tokenize(model, text, { bos = true } = {}) {
    const out = await this.#cli(['tokenize', model, '-p', text, '--special', ...(bos ? [] : ['--no-bos'])]);
    return out.trim().split(/\s+/).filter(Boolean).map(Number);
  }

  // Teacher-forced next-token distributions: for each position, [{id, p}] best first.
  async score(model, ids, top) {
    const out = await this.#cli([
      'score',
      model,
      '--ids',
      ids.join(','),
      '--top',
      String(top),
      '-t',
      String(this.threads),
      '-c',
      String(Math.max(CTX, ids.length + 8)),
    ]);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch (e) {
          throw new Error(`chord-cli score printed a bad row (${e.message}): ${JSON.stringify(l.slice(0, 400))}`);
        }
      });
    if (rows.length !== ids.length) throw new Error(`chord-cli score: ${rows.length} rows for ${ids.length} ids`);
    return rows.map((r) => r.top.map(([id, p]) => ({ id, p })));
  }

  // Greedy continuation of n tokens from prompt ids (EOS ignored).
  async greedy(model, ids, n) {
    const out = await this.#cli([
      'run',
      model,
      '--ids',
      ids.join(','),
      '-n',
      String(n),
      '--print-ids',
      '--ignore-eos',
      '--temp',
      '0',
      '-t',
      String(this.threads),
      '-c',
      String(Math.max(CTX, ids.length + n + 8)),
    ]);
    return out.trim().split(/\s+/).filter(Boolean).map(Number);
  }
}
