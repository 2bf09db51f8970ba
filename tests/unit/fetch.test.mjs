// checkedFetch (js/src/fetch.ts): one error mapping for every URL the package reads.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { WasmChordError } from '../../js/dist/errors.js';
import { checkedFetch } from '../../js/dist/fetch.js';

let server;
let base;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'Content-Length': '5' });
      res.end('hello');
      return;
    }
    if (req.url === '/missing') {
      res.writeHead(404, 'Not Found');
      res.end('no');
      return;
    }
    if (req.url === '/private' || req.url === '/forbidden') {
      res.writeHead(req.url === '/private' ? 401 : 403);
      res.end('no');
      return;
    }
    if (req.url === '/broken') {
      res.writeHead(500, 'Internal Server Error');
      res.end('no');
      return;
    }
    // /hang: headers never come
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(
  () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
);

async function failure(p) {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e) => e,
  );
}

test('2xx: the response with its body', async () => {
  const res = await checkedFetch(`${base}/ok`);
  assert.equal(await res.text(), 'hello');
});

test('404 is not_found, 401/403 unauthorized, other statuses io_error, all naming the URL and status', async () => {
  const e404 = await failure(checkedFetch(`${base}/missing`));
  assert.ok(e404 instanceof WasmChordError);
  assert.equal(e404.code, 'not_found');
  assert.match(e404.message, /\/missing: HTTP 404 Not Found/);
  const e500 = await failure(checkedFetch(new URL(`${base}/broken`)));
  assert.equal(e500.code, 'io_error');
  assert.match(e500.message, /HTTP 500/);
  for (const [path, status] of [
    ['/private', 401],
    ['/forbidden', 403],
  ]) {
    const e = await failure(checkedFetch(`${base}${path}`));
    assert.equal(e.code, 'unauthorized');
    assert.match(e.message, new RegExp(`${path}: HTTP ${status}`));
  }
});

test('a network failure is io_error with the reason in the message and the cause kept', async () => {
  const closed = createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const e = await failure(checkedFetch(`http://127.0.0.1:${port}/x`));
  assert.equal(e.code, 'io_error');
  assert.match(e.message, /ECONNREFUSED/);
  assert.ok(e.cause instanceof Error);
});

test('an abort (the signal argument, else init.signal) is an AbortError with the reason as cause', async () => {
  const reason = new Error('user cancelled');
  const ctl = new AbortController();
  const p = failure(checkedFetch(`${base}/hang`, undefined, ctl.signal));
  setTimeout(() => ctl.abort(reason), 20);
  const e = await p;
  assert.equal(e.name, 'AbortError');
  assert.equal(e.code, 'aborted');
  assert.equal(e.cause, reason);
  const viaInit = await failure(checkedFetch(`${base}/hang`, { signal: AbortSignal.timeout(20) }));
  assert.equal(viaInit.name, 'AbortError');
});
