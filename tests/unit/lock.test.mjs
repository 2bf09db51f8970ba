// FifoLock (js/src/lock.ts): turns in arrival order, aborts while waiting, shutdown, release rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError } from '../../js/dist/errors.js';
import { FifoLock } from '../../js/dist/lock.js';

const tick = () => new Promise((r) => setImmediate(r));

test('holders take turns in arrival order, one at a time', async () => {
  const lock = new FifoLock();
  const order = [];
  let inside = 0;
  let most = 0;
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      lock.run(async () => {
        most = Math.max(most, ++inside);
        order.push(i);
        await tick();
        --inside;
      }),
    ),
  );
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(most, 1);
  assert.equal(lock.running, false);
  assert.equal(lock.pending, 0);
});

test('pending and running count the line; releasing twice hands on only once', async () => {
  const lock = new FifoLock();
  const r1 = await lock.acquire();
  const p2 = lock.acquire();
  const p3 = lock.acquire();
  assert.equal(lock.running, true);
  assert.equal(lock.pending, 2);
  r1();
  r1();
  const r2 = await p2;
  assert.equal(lock.pending, 1, 'the second release of r1 did not grant p3 too');
  r2();
  (await p3)();
  assert.equal(lock.running, false);
});

test('an abort while waiting leaves the line with an AbortError carrying the reason; the rest go on', async () => {
  const lock = new FifoLock();
  const release = await lock.acquire();
  const ctl = new AbortController();
  const waiting = lock.acquire(ctl.signal);
  const after = lock.acquire();
  const reason = new Error('client went away');
  ctl.abort(reason);
  const e = await waiting.then(
    () => null,
    (x) => x,
  );
  assert.ok(e instanceof AbortError);
  assert.equal(e.name, 'AbortError');
  assert.equal(e.code, 'aborted');
  assert.equal(e.cause, reason);
  assert.equal(lock.pending, 1);
  release();
  (await after)();
  assert.equal(lock.running, false);
});

test('an already aborted signal rejects at once, even when the lock is free', async () => {
  const lock = new FifoLock();
  const e = await lock.acquire(AbortSignal.abort()).then(
    () => null,
    (x) => x,
  );
  assert.equal(e?.name, 'AbortError');
  assert.equal(lock.running, false);
});

test('an abort after the turn came changes nothing; run() releases when fn throws', async () => {
  const lock = new FifoLock();
  const ctl = new AbortController();
  await assert.rejects(
    lock.run(async () => {
      ctl.abort();
      throw new Error('boom');
    }, ctl.signal),
    /boom/,
  );
  assert.equal(lock.running, false);
  assert.equal(await lock.run(() => 7), 7);
});

test('rejectAll rejects the waiters but not the holder', async () => {
  const lock = new FifoLock();
  const release = await lock.acquire();
  const a = lock.acquire();
  const b = lock.acquire();
  const stop = new Error('shutting down');
  lock.rejectAll(stop);
  await assert.rejects(a, stop);
  await assert.rejects(b, stop);
  assert.equal(lock.running, true);
  release();
  assert.equal(lock.running, false);
});
