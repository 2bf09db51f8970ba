// The wasm-chord command as a shell user runs it: real processes of the package bin (run, chat,
// tokenize, inspect, bench), their output checked against the greedy golden, the in-process
// package API and an independent GGUF reader; --help, usage errors (2), runtime errors (1), Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { BIN, GOLDEN_JSON, GOLDEN_TEXT, MODELS, STORIES, parseGguf, runCli as cli, serve } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const goldenText = readFileSync(GOLDEN_TEXT, 'utf8');
const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const COMMANDS = ['run', 'chat', 'tokenize', 'inspect', 'bench', 'serve'];
const GREEDY_ARGS = ['--temp', '0', '-t', '1'];

/** Maps with at most `n` calls in flight (the spawned processes mostly wait on Node's startup). */
async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

let model;
let tmp;
before(async () => {
  model = await loadModel(STORIES, { threads: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'wasm-chord-cli-'));
});
after(async () => {
  await model.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('help and usage errors', () => {
  test('the package bin points at the built CLI, with a shebang', () => {
    assert.equal(typeof PKG.bin['wasm-chord'], 'string');
    assert.ok(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
  });

  test('--help, -h and `help <cmd>` print usage to stdout and exit 0', async () => {
    const main = await cli(['--help']);
    assert.equal(main.code, 0);
    for (const c of COMMANDS) assert.match(main.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.equal(main.stderr, '');
    const helps = await mapLimit(COMMANDS, 3, (c) => cli([c, '--help']));
    for (const [i, c] of COMMANDS.entries()) {
      const h = helps[i];
      assert.equal(h.code, 0, `${c} --help`);
      assert.match(h.stdout, new RegExp(`^usage: wasm-chord ${c} `));
      assert.match(h.stdout, /-m, --model PATH\|URL/);
      assert.match(h.stdout, /-h, --help/);
      assert.equal(h.stderr, '');
      if (c === 'run' || c === 'serve') {
        assert.equal((await cli([c, '-h'])).stdout, h.stdout);
        assert.equal((await cli(['help', c])).stdout, h.stdout);
      }
    }
    // --help wins over other mistakes on the line
    assert.equal((await cli(['run', '--bogus', '--help'])).code, 0);
  });

  test('--version prints the package version', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `wasm-chord ${PKG.version}\n`);
  });

  test('usage errors exit 2 with a message and a hint on stderr, nothing on stdout', async () => {
    const cases = [
      [[], /usage: wasm-chord <command>/],
      [['bogus'], /unknown command 'bogus'/],
      [['run'], /a model is required: -m PATH\|URL/],
      [['run', '-m', STORIES, '--bogus'], /unknown option --bogus for 'run'/],
      [['run', '-m', STORIES, '-x'], /unknown option -x for 'run'/],
      [['run', '-m', STORIES, '-n', 'abc'], /--n-predict needs a number, got 'abc'/],
      [['run', '-m', STORIES, '--top-k', '1.5'], /--top-k needs an integer/],
      [['run', '-m', STORIES, '--top-p', '2'], /--top-p must be at most 1/],
      [['run', '-m', STORIES, '--temp'], /--temp needs a value/],
      [['run', '-m', STORIES, '-t', '0'], /--threads must be 'auto' or an integer/],
      [['run', '-m', STORIES, 'extra'], /unexpected argument 'extra'/],
      [['run', '-m', STORIES, '-p', 'a', '-f', 'b'], /-p or -f, not both/],
      [['run', '-m', STORIES, '--ignore-eos=yes'], /--ignore-eos takes no value/],
      [['run', '-m', 'ftp://example.org/x.gguf'], /unsupported URL scheme/],
      [['tokenize', '-m', STORIES], /no text to tokenize/],
      [['tokenize', '-m', STORIES, '-p', 'x', '--json', '--count'], /choose one of/],
      [['serve', '-m', STORIES, '--port', '70000'], /--port must be at most 65535/],
      [['bench', '-m', STORIES, '-p', '0', '-n', '0'], /nothing to measure/],
    ];
    const results = await mapLimit(cases, 3, ([args]) => cli(args));
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, `exit status of: wasm-chord ${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      if (args.length) assert.match(r.stderr, /^Try 'wasm-chord( \w+)? --help' for more information\.$/m);
    }
  });
});

describe('runtime errors', () => {
  test('a missing model file exits 1 with one clear line', async () => {
    const missing = join(tmp, 'no-such-model.gguf');
    const results = await mapLimit(COMMANDS, 3, (cmd) => cli(cmd === 'tokenize' ? [cmd, '-m', missing, '-p', 'x'] : [cmd, '-m', missing]));
    for (const [i, cmd] of COMMANDS.entries()) {
      const r = results[i];
      assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${cmd} stderr: ${r.stderr}`);
      assert.match(lines[0], /^wasm-chord: error: cannot open .*no-such-model\.gguf.*no such file/);
    }
  });

  test('a file that is not GGUF, a truncated GGUF and a directory fail with exit 1', async () => {
    const notGguf = await cli(['run', '-m', GOLDEN_TEXT, ...GREEDY_ARGS]);
    assert.equal(notGguf.code, 1);
    assert.match(notGguf.stderr, /^wasm-chord: error: .*GGUF.*\(bad_gguf\)\n$/);
    const truncated = join(tmp, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(STORIES).subarray(0, 5000));
    for (const args of [
      ['inspect', '-m', truncated],
      ['run', '-m', truncated, '-t', '1'],
    ]) {
      const r = await cli(args);
      const cmd = args[0];
      assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /^wasm-chord: error: .+\n$/);
    }
    const dir = await cli(['run', '-m', tmp]);
    assert.equal(dir.code, 1);
    assert.match(dir.stderr, /is a directory/);
    const legacy = await cli(['inspect', '-m', join(MODELS, 'legacy/TinyLLama-v0.ggmlv3.q4_0.bin')]);
    assert.equal(legacy.code, 1);
    assert.match(legacy.stderr, /legacy GGJT file, not GGUF/);
  });

  test('an unreachable URL exits 1 naming the URL', async () => {
    const srv = await serve({});
    const url = srv.url('/missing.gguf');
    try {
      const r = await cli(['run', '-m', url, '-t', '1']);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(url), r.stderr);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    } finally {
      await srv.close();
    }
  });
});

describe('run', () => {
  test('greedy from BOS streams exactly the golden text', async () => {
    const r = await cli(['run', '-m', STORIES, '-n', '200', ...GREEDY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.length > 400);
    assert.equal(r.stdout, goldenText.slice(0, r.stdout.length));
    assert.equal(r.stdout, golden.text);
  });

  test('the prompt is echoed (unless --no-display-prompt) and continued greedily', async () => {
    const prompt = 'Once upon a time';
    const r = await cli(['run', '-m', STORIES, '-p', prompt, '-n', '60', ...GREEDY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(prompt));
    assert.equal(r.stdout, goldenText.slice(0, r.stdout.length));
    const quiet = await cli(['run', '-m', STORIES, '-p', prompt, '-n', '60', '--no-display-prompt', ...GREEDY_ARGS]);
    assert.equal(prompt + quiet.stdout, r.stdout);
    // the prompt from a file, and from stdin
    const file = join(tmp, 'prompt.txt');
    writeFileSync(file, prompt);
    assert.equal((await cli(['run', '-m', STORIES, '-f', file, '-n', '60', ...GREEDY_ARGS])).stdout, r.stdout);
    assert.equal((await cli(['run', '-m', STORIES, '-f', '-', '-n', '60', ...GREEDY_ARGS], { input: prompt })).stdout, r.stdout);
  });

  test('--json prints the whole result; its tokens are the golden ids', async () => {
    const r = await cli(['run', '-m', STORIES, '-n', '50', '--json', ...GREEDY_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.tokens, golden.generated.slice(0, 50));
    assert.equal(j.text, goldenText.slice(0, j.text.length));
    assert.equal(j.finishReason, 'length');
    assert.deepEqual(j.usage, { promptTokens: 1, completionTokens: 50, cachedTokens: 0 });
    assert.ok(j.timings.totalMs > 0);
  });

  test('--stop ends before the stop text; seeds make sampling repeatable', async () => {
    const cut = goldenText.indexOf(' Lily');
    const stopped = await cli(['run', '-m', STORIES, '-n', '100', '--stop', ' Lily', '--stop', 'zzz', ...GREEDY_ARGS]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, goldenText.slice(0, cut));
    const sampled = (seed) =>
      cli([
        'run',
        '-m',
        STORIES,
        '-p',
        'Once',
        '-n',
        '40',
        '--temp',
        '1',
        '--top-k',
        '0',
        '--top-p',
        '1',
        '--min-p',
        '0',
        '--seed',
        seed,
        '-t',
        '1',
      ]);
    const [a, b, c] = await Promise.all([sampled('7'), sampled('7'), sampled('8')]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.notEqual(a.stdout, c.stdout);
    // the same seed through the package API gives the same text
    const api = await model.complete('Once', { maxTokens: 40, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 7 });
    assert.equal(a.stdout, 'Once' + api.text);
  });

  test('-v reports model and speed on stderr, not stdout', async () => {
    const r = await cli(['run', '-m', STORIES, '-n', '8', '-v', ...GREEDY_ARGS]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, goldenText.slice(0, r.stdout.length));
    assert.match(r.stderr, /^model: llama .*292800 parameters/m);
    assert.match(r.stderr, /^prompt: 1 tokens .* generated: 8 tokens .* tok\/s.*finish: length$/m);
  });

  test('a model URL loads over HTTP; --progress draws the bar on stderr', async () => {
    const srv = await serve({ '/m/stories260K.gguf': { body: new Uint8Array(readFileSync(STORIES)) } });
    try {
      const r = await cli(['run', '-m', srv.url('/m/stories260K.gguf'), '-n', '40', '--progress', ...GREEDY_ARGS]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, goldenText.slice(0, r.stdout.length));
      assert.ok(r.stdout.length > 100);
      assert.match(r.stderr, /downloading stories260K \[#+\] 100% 1\.1 MiB\/1\.1 MiB/);
      assert.ok(r.stderr.endsWith('\r\x1b[K'), 'the bar is erased when loading ends');
      // no bar when stderr is not a terminal and --progress is not given
      const plain = await cli(['run', '-m', srv.url('/m/stories260K.gguf'), '-n', '4', ...GREEDY_ARGS]);
      assert.equal(plain.stderr, '');
    } finally {
      await srv.close();
    }
  });

  test('Ctrl-C (SIGINT) stops a long generation: exit 130', async () => {
    let sent = false;
    const t0 = Date.now();
    const r = await cli(['run', '-m', STORIES, '-n', '-1', '--ignore-eos', ...GREEDY_ARGS], {
      onStdout: (_d, child) => {
        if (!sent) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(sent);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /wasm-chord: interrupted/);
    assert.ok(r.stdout.length < 2048 * 4, 'it stopped before the context was full');
    assert.ok(Date.now() - t0 < 15000);
  });

  test('a closed pipe (| head) ends quietly', async () => {
    const r = await new Promise((resolve, reject) => {
      const sh = spawn('/bin/sh', [
        '-c',
        `"${process.execPath}" "${BIN}" run -m "${STORIES}" -n 2000 --ignore-eos --temp 0 -t 1 | head -c 20`,
      ]);
      const out = [];
      const err = [];
      sh.stdout.on('data', (d) => out.push(d));
      sh.stderr.on('data', (d) => err.push(d));
      sh.on('error', reject);
      sh.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, goldenText.slice(0, 20));
    assert.equal(r.stderr, '');
  });
});

describe('tokenize', () => {
  const text = 'Hello world. Once upon a time, Lily saw a big ball!';

  test('ids as a JSON array, equal to the package tokenizer', async () => {
    const r = await cli(['tokenize', '-m', STORIES, '-p', text, '-t', '1']);
    assert.equal(r.code, 0, r.stderr);
    const ids = JSON.parse(r.stdout);
    assert.deepEqual(ids, await model.tokenize(text));
    assert.equal(ids[0], model.info.bosToken);
    const noBos = JSON.parse((await cli(['tokenize', '-m', STORIES, '-p', text, '--no-bos', '-t', '1'])).stdout);
    assert.deepEqual(noBos, await model.tokenize(text, { addSpecial: false }));
    assert.equal((await cli(['tokenize', '-m', STORIES, '-p', text, '--count', '-t', '1'])).stdout, `${ids.length}\n`);
    const fromFile = join(tmp, 'text.txt');
    writeFileSync(fromFile, text);
    assert.deepEqual(JSON.parse((await cli(['tokenize', '-m', STORIES, '-f', fromFile, '-t', '1'])).stdout), ids);
  });

  test('special-token text becomes those tokens unless --no-parse-special (as llama.cpp)', async () => {
    const special = '<s>Once</s>';
    const parsed = JSON.parse((await cli(['tokenize', '-m', STORIES, '-p', special, '--no-bos', '-t', '1'])).stdout);
    assert.deepEqual(parsed, await model.tokenize(special, { addSpecial: false, parseSpecial: true }));
    assert.deepEqual([parsed[0], parsed.at(-1)], [model.info.bosToken, model.info.eosToken]);
    const literal = JSON.parse((await cli(['tokenize', '-m', STORIES, '-p', special, '--no-bos', '--no-parse-special', '-t', '1'])).stdout);
    assert.deepEqual(literal, await model.tokenize(special, { addSpecial: false, parseSpecial: false }));
    assert.ok(!literal.includes(model.info.bosToken) && !literal.includes(model.info.eosToken));
  });

  test("--pieces and --json show each token's piece; pieces rebuild the text", async () => {
    const ids = await model.tokenize(text);
    const r = await cli(['tokenize', '-m', STORIES, '-p', text, '--pieces', '-t', '1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      lines.map(([id]) => Number(id)),
      ids,
    );
    const pieces = lines.map(([, p]) => JSON.parse(p));
    for (let i = 0; i < ids.length; ++i) assert.equal(pieces[i], new TextDecoder().decode(await model.tokenBytes(ids[i])));
    assert.equal(pieces[0], '<s>');
    assert.equal(pieces.slice(1).join(''), ' ' + text); // SPM's prefix space
    const j = JSON.parse((await cli(['tokenize', '-m', STORIES, '-p', text, '--json', '-t', '1'])).stdout);
    assert.deepEqual(
      j,
      ids.map((id, i) => ({ id, piece: pieces[i] })),
    );
  });
});

describe('inspect', () => {
  test('--json agrees with an independent GGUF reader and the loaded model', async () => {
    const r = await cli(['inspect', '-m', STORIES, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const bytes = readFileSync(STORIES);
    const ref = parseGguf(new Uint8Array(bytes));
    assert.equal(j.version, ref.version);
    assert.equal(j.alignment, ref.alignment);
    assert.equal(j.fileBytes, bytes.byteLength);
    assert.deepEqual(j.warnings, []);
    assert.equal(j.tensors.length, model.info.tensorCount);
    assert.deepEqual(
      j.tensors.map((t) => [t.name, t.shape, t.typeId, t.offset]),
      ref.tensors.map((t) => [t.name, t.ne, t.type, t.offset]),
    );
    assert.deepEqual(
      j.tensors.map((t) => t.bytes),
      ref.tensors.map((t) => t.nbytes),
    );
    assert.ok(j.tensors.every((t) => t.type === 'f32' && t.elements * 4 === t.bytes));
    assert.equal(
      j.tensors.reduce((s, t) => s + t.elements, 0),
      model.info.parameterCount,
    );
    const end = Math.max(...j.tensors.map((t) => j.dataOffset + t.offset + t.bytes));
    assert.ok(end <= bytes.byteLength && bytes.byteLength - end < j.alignment);
    assert.deepEqual(Object.keys(j.metadata).sort(), Object.keys(model.metadata).sort());
    assert.deepEqual(
      Object.keys(j.metadata),
      ref.kvs.map((kv) => kv.key),
    );
    assert.deepEqual(j.metadata['general.architecture'], { type: 'str', value: 'llama' });
    assert.deepEqual(j.metadata['llama.context_length'], { type: 'u32', value: model.info.nCtxTrain });
    const tokens = j.metadata['tokenizer.ggml.tokens'];
    assert.equal(tokens.type, 'arr[str]');
    assert.equal(tokens.length, model.info.nVocab);
    assert.deepEqual(tokens.value, (await model.metadataValue('tokenizer.ggml.tokens')).slice(0, 16));
    const all = JSON.parse((await cli(['inspect', '-m', STORIES, '--json', '--all'])).stdout);
    assert.deepEqual(all.metadata['tokenizer.ggml.tokens'].value, await model.metadataValue('tokenizer.ggml.tokens'));
  });

  test('the text form lists the metadata and every tensor with type, shape and bytes', async () => {
    const r = await cli(['inspect', '-m', STORIES]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^format: +GGUF v3, alignment 32/m);
    assert.match(r.stdout, /^tensors: +48, 292800 parameters/m);
    assert.match(r.stdout, /^ {2}general\.architecture +str +"llama"$/m);
    assert.match(r.stdout, /^ {2}llama\.attention\.layer_norm_rms_epsilon +f32 +0\.00001$/m);
    assert.match(r.stdout, /^ +0 +token_embd\.weight +f32 +\[64, 512\] +32768 +131072 +0$/m);
    const ref = parseGguf(new Uint8Array(readFileSync(STORIES)));
    for (const t of ref.tensors)
      assert.match(
        r.stdout,
        new RegExp(
          ` ${t.name.replace(/\./g, '\\.')} +f32 +\\[${t.ne.join(', ')}\\] +${t.ne.reduce((a, b) => a * b, 1)} +${t.nbytes} +${t.offset}$`,
          'm',
        ),
      );
  });

  test('GGUF v1/v2 files, quantized tensors and a URL (header only)', async () => {
    const q8 = JSON.parse((await cli(['inspect', '-m', join(MODELS, 'gguf/tinyllamas-stories-260k-q8_0.gguf'), '--json'])).stdout);
    assert.equal(q8.version, 2);
    const q8t = q8.tensors.filter((t) => t.type === 'q8_0');
    assert.equal(q8t.length, 37);
    for (const t of q8t) assert.equal(t.bytes, (t.elements / 32) * 34);
    assert.ok(q8.warnings.some((w) => /ffn_down.*not a multiple of the q8_0 block size/.test(w)));
    const v1 = JSON.parse((await cli(['inspect', '-m', join(MODELS, 'legacy/tinyllamas-stories-260k-f32.gguf'), '--json'])).stdout);
    assert.equal(v1.version, 1);
    assert.equal(v1.tensors.length, 48);
    assert.equal(
      v1.tensors.reduce((s, t) => s + t.elements, 0),
      model.info.parameterCount,
    );

    const body = new Uint8Array(readFileSync(STORIES));
    const srv = await serve({ '/stories260K.gguf': { body } });
    try {
      const local = JSON.parse((await cli(['inspect', '-m', STORIES, '--json'])).stdout);
      const remote = JSON.parse((await cli(['inspect', '-m', srv.url('/stories260K.gguf'), '--json'])).stdout);
      assert.deepEqual({ ...remote, source: 'x' }, { ...local, source: 'x' });
    } finally {
      await srv.close();
    }
  });
});

describe('chat', () => {
  const GREEDY_CHAT = { temperature: 0, max_tokens: 12 };

  async function reply(messages) {
    const r = await model.chat.completions.create({ messages, ...GREEDY_CHAT });
    return r.choices[0].message.content;
  }

  test('piped stdin: one reply per line, history kept, /reset clears it, /exit ends', async () => {
    const input = 'Hello\nTell me a story\n/reset\nHello\n/exit\nnever read\n';
    const r = await cli(['chat', '-m', STORIES, '-n', '12', ...GREEDY_ARGS], { input });
    assert.equal(r.code, 0, r.stderr);
    const r1 = await reply([{ role: 'user', content: 'Hello' }]);
    const r2 = await reply([
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: r1 },
      { role: 'user', content: 'Tell me a story' },
    ]);
    const fresh = await reply([{ role: 'user', content: 'Tell me a story' }]);
    assert.notEqual(r2, fresh, 'the second turn saw the history');
    assert.equal(r.stdout, `${r1}\n${r2}\n${r1}\n`);
    assert.match(r.stderr, /\(history cleared\)/);
  });

  test('--system, line continuation, unknown commands, end of input without /exit', async () => {
    const input = 'Tell me\\\na story\n/bogus\n';
    const r = await cli(['chat', '-m', STORIES, '-n', '12', '--system', 'You are a storyteller.', ...GREEDY_ARGS], { input });
    assert.equal(r.code, 0, r.stderr);
    const expected = await reply([
      { role: 'system', content: 'You are a storyteller.' },
      { role: 'user', content: 'Tell me\na story' },
    ]);
    assert.equal(r.stdout, `${expected}\n`);
    assert.match(r.stderr, /unknown command \/bogus/);
  });

  test('a custom --chat-template file is used', async () => {
    const tpl = join(tmp, 'plain.jinja');
    writeFileSync(
      tpl,
      "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}",
    );
    const r = await cli(['chat', '-m', STORIES, '-n', '12', '--chat-template', tpl, ...GREEDY_ARGS], { input: 'Once upon a time\n' });
    assert.equal(r.code, 0, r.stderr);
    const api = await model.chat.completions.create({
      messages: [{ role: 'user', content: 'Once upon a time' }],
      chat_template: readFileSync(tpl, 'utf8'),
      ...GREEDY_CHAT,
    });
    assert.equal(r.stdout, `${api.choices[0].message.content}\n`);
    const missing = await cli(['chat', '-m', STORIES, '--chat-template', join(tmp, 'none.jinja'), '-t', '1'], { input: '' });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read chat template .*no such file/);
  });
});

describe('bench', () => {
  test('measures pp and tg speed and load time (--json and table)', async () => {
    const r = await cli(['bench', '-m', STORIES, '-p', '32', '-n', '16', '-r', '2', '-t', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.load.length, 1);
    assert.ok(j.load[0].ms > 0 && j.load[0].threads === 1);
    assert.deepEqual(
      j.results.map((x) => x.test),
      ['pp32', 'tg16'],
    );
    for (const x of j.results) {
      assert.equal(x.samples.length, 2);
      assert.ok(x.samples.every((s) => Number.isFinite(s) && s > 0));
      assert.ok(Math.abs(x.mean - (x.samples[0] + x.samples[1]) / 2) < 1e-6 * x.mean);
      assert.equal(x.params, model.info.parameterCount);
    }
    const t = await cli(['bench', '-m', STORIES, '-p', '16', '-n', '8', '-r', '1', '-t', '1']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^\| model +\| size +\| params +\| wasm \| threads \| +test \| +t\/s \|$/m);
    assert.match(t.stdout, /^\| stories260K \| 1\.1 MiB \| 292\.80 K \| st +\| +1 \| +pp16 \| +[\d.]+ ± [\d.]+ \|$/m);
    assert.match(t.stdout, /\| +tg8 \|/);
    assert.match(t.stdout, /^load time \(1 thread\): [\d.]+ ms$/m);
  });
});
