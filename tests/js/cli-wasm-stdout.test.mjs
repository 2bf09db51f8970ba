// The C++ debugging CLI built for wasm (build/wasm*/chord-cli.js) writes every row of its output
// to a slow reader. The pthreads build once lost rows: Node had made its stdout pipe non-blocking,
// so NODERAWFS's fs.writeSync(1, ...) failed with EAGAIN whenever the pipe was full
// (runtime/cli/node-stdio.js is the fix).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { STORIES } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IDS = Array.from({ length: 240 }, (_, i) => 1 + (i % 500));

for (const build of ['wasm', 'wasm-mt']) {
  const cli = join(ROOT, 'build', build, 'chord-cli.js');
  test(
    `${build} chord-cli: a reader that waits still gets every row (about 500 KiB)`,
    { skip: !existsSync(cli) && `${cli} is not built` },
    async () => {
      const child = spawn(
        process.execPath,
        ['--no-experimental-fetch', cli, 'score', STORIES, '--ids', IDS.join(','), '--top', '100', '-t', '2', '-c', '256'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const chunks = [];
      child.stdout.on('data', (c) => chunks.push(c));
      child.stdout.pause(); // the pipe (a socket pair, a few hundred KiB) fills up while the CLI is still writing
      const exited = new Promise((resolve) => child.on('close', resolve));
      await sleep(3000);
      child.stdout.resume();
      assert.equal(await exited, 0);
      const rows = Buffer.concat(chunks)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        rows.map((r) => r.pos),
        IDS.map((_, i) => i),
      );
      assert.ok(rows.every((r) => r.top.length === 100));
    },
  );
}
