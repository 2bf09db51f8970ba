// The loader's choice between the wasm32 builds and the Memory64 build (chord-m64), without wasm:
// resolveConfig against made-up capabilities, and Engine.load with a fake environment that records
// which builds it starts, fake parts of any size and fake contexts of any size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../js/dist/engine.js';
import { WasmChordError } from '../../js/dist/errors.js';
import { resolveConfig } from '../../js/dist/probe.js';
import { buildName } from '../../js/dist/wasm.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const ALL = {
  simd: true,
  relaxedSimd: true,
  memory64: true,
  threads: true,
  crossOriginIsolated: true,
  sharedArrayBuffer: true,
  hardwareConcurrency: 4,
};

function throwsCode(fn, code, re) {
  assert.throws(fn, (e) => e instanceof WasmChordError && e.code === code && (!re || re.test(e.message)));
}

test('resolveConfig: memory64 option and capabilities', () => {
  assert.equal(resolveConfig({}, ALL).memory64, 'auto');
  assert.equal(resolveConfig({ memory64: false }, ALL).memory64, false);
  const forced = resolveConfig({ threads: 1, memory64: true }, ALL);
  assert.deepEqual([forced.memory64, forced.flavor, forced.simd, forced.threads], [true, 'mt', 'relaxed', 1]);
  // 'auto' where the Memory64 build cannot run: wasm32 only, and the reason kept for the size error.
  for (const [caps, opts, why] of [
    [{ ...ALL, memory64: false }, {}, /lacks Memory64/],
    [{ ...ALL, relaxedSimd: false }, {}, /relaxed SIMD/],
    [{ ...ALL, threads: false }, {}, /cross-origin isolated/],
    [ALL, { simd: 'simd128' }, /simd: 'simd128'/],
  ]) {
    const c = resolveConfig(opts, caps);
    assert.equal(c.memory64, false);
    assert.match(c.memory64Unavailable, why);
    throwsCode(() => resolveConfig({ ...opts, memory64: true }, caps), 'unsupported', why);
  }
  throwsCode(() => resolveConfig({ memory64: 'yes' }, ALL), 'invalid_argument', /memory64 must be/);
});

test('buildName: the one Memory64 build', () => {
  assert.equal(buildName('mt', 'relaxed', true), 'chord-m64');
  assert.equal(buildName('st', 'relaxed'), 'chord-relaxed');
});

/** Engine.load with one fake part of `size` bytes; the fake module refuses to go further than the
 *  size check (its heap is `heapMax`), so only the choice is exercised. */
async function loadFake(size, options, caps, heapMax = { true: 16 * GiB, false: 4 * GiB }) {
  const started = [];
  const env = {
    async instantiate(flavor, simd, poolSize, memory64 = false) {
      started.push({ flavor, simd, poolSize, memory64 });
      return {
        runtimeInfo: () => ({ heapMax: heapMax[memory64], heapSize: 32 * MiB, memory64 }),
        HeapParts: class {
          constructor() {
            throw new WasmChordError('aborted', 'fake module: stop after the size check');
          }
        },
        chordTerminateWorkers() {},
      };
    },
    yieldToEventLoop: () => Promise.resolve(),
  };
  const reader = { name: 'fake', open: async () => ({ size, phase: 'load', pump: async () => {} }) };
  const error = await Engine.load([reader], resolveConfig(options, caps), env).then(
    () => assert.fail('the fake load cannot succeed'),
    (e) => e,
  );
  assert.ok(error instanceof WasmChordError, String(error));
  return { started, error };
}

test('Engine.load starts the build the model needs', async () => {
  // 4.5 GB with Memory64 available: wasm32 refuses it by its size (before reading it), then the
  // Memory64 build, pthreads and relaxed SIMD at any thread count.
  let r = await loadFake(4.5e9, { threads: 1 }, ALL);
  assert.deepEqual(r.started, [
    { flavor: 'st', simd: 'relaxed', poolSize: 0, memory64: false },
    { flavor: 'mt', simd: 'relaxed', poolSize: 0, memory64: true },
  ]);
  assert.equal(r.error.code, 'aborted', 'past the size check');
  // A small model stays on wasm32 (the relaxed single-thread build here); memory64: true forces it.
  r = await loadFake(100e6, { threads: 1 }, ALL);
  assert.deepEqual(r.started, [{ flavor: 'st', simd: 'relaxed', poolSize: 0, memory64: false }]);
  r = await loadFake(100e6, { threads: 2, memory64: true }, ALL);
  assert.deepEqual(r.started, [{ flavor: 'mt', simd: 'relaxed', poolSize: 1, memory64: true }]);
});

test('a model past wasm32 without Memory64 fails early with the sizes and the reason', async () => {
  for (const [caps, options, why] of [
    [{ ...ALL, memory64: false }, {}, 'this engine lacks Memory64'],
    [{ ...ALL, threads: false, sharedArrayBuffer: false }, {}, 'it is a pthreads build'],
    [ALL, { memory64: false }, 'memory64: false was asked for'],
  ]) {
    const { started, error } = await loadFake(4.5e9, options, caps);
    assert.equal(started[0].memory64, false);
    assert.equal(error.code, 'out_of_memory');
    assert.match(error.message, /the model is 4500000000 bytes \(4\.19 GiB\) but a wasm32 heap holds at most 4294967296 bytes/);
    assert.ok(error.message.includes(`the Memory64 build would hold it, but ${why}`), error.message);
  }
  // Past even the Memory64 build's 16 GiB: the sizes, no hint.
  const { started, error } = await loadFake(20e9, {}, ALL);
  assert.deepEqual(
    started.map((s) => s.memory64),
    [false, true],
  );
  assert.equal(error.code, 'out_of_memory');
  assert.match(error.message, /the model is 20000000000 bytes .* a wasm64 heap holds at most 17179869184 bytes/);
  assert.doesNotMatch(error.message, /would hold/);
});

/** A fake module that loads any bytes and whose context needs `kvBytes` beside the model. */
function fakeModule(memory64, kvBytes, fileBytes) {
  const heapMax = memory64 ? 16 * GiB : 4 * GiB;
  const ok = (value) => ({ code: 'ok', message: '', value });
  const tok = { bos: () => 1, eos: () => 2, model: () => 'llama', delete() {} };
  const model = {
    info: () => ({ arch: 'llama', fileBytes }),
    chatTemplate: () => '',
    metadata: () => ({}),
    tokenizer: () => tok,
    delete() {},
  };
  return {
    runtimeInfo: () => ({ heapMax, heapSize: 32 * MiB, memory64 }),
    HeapParts: class {
      add = () => ok(0);
      view = (i, off, len) => ok(new Uint8Array(len));
      delete() {}
    },
    Model: { load: () => ok(model) },
    Context: {
      create: () =>
        fileBytes + kvBytes > heapMax
          ? { code: 'out_of_memory', message: `a context needs ${kvBytes} bytes beside the model's ${fileBytes}` }
          : ok({ nCtx: () => 4096, memoryBytes: () => kvBytes, delete() {} }),
    },
    chordUnrefWorkers() {},
    chordTerminateWorkers() {},
  };
}

test("memory64 'auto': a KV cache that does not fit beside the model in wasm32 loads in the Memory64 build", async () => {
  const started = [];
  const opened = [];
  const size = 3 * GiB;
  const env = (kvBytes) => ({
    async instantiate(flavor, simd, poolSize, memory64 = false) {
      started.push(memory64);
      return fakeModule(memory64, kvBytes, size);
    },
    yieldToEventLoop: () => Promise.resolve(),
  });
  const reader = {
    name: 'fake',
    open: async () => {
      opened.push(size);
      return { size, phase: 'load', pump: async (sink, onBytes) => onBytes(size) };
    },
  };
  // 2 GiB of KV beside 3 GiB: wasm32 first (the files fit), then the Memory64 build, parts reread.
  let e = await Engine.load([reader], resolveConfig({ threads: 1 }, ALL), env(2 * GiB));
  assert.deepEqual(started, [false, true]);
  assert.equal(opened.length, 2);
  assert.equal(e.info.memory64, true);
  assert.equal(e.info.contextBytes, 2 * GiB);
  // Without Memory64 the context's own out_of_memory (with its sizes) reaches the caller.
  started.length = 0;
  await assert.rejects(Engine.load([reader], resolveConfig({ threads: 1 }, { ...ALL, memory64: false }), env(2 * GiB)), (err) => {
    assert.equal(err.code, 'out_of_memory');
    assert.match(err.message, /needs 2147483648 bytes beside the model's 3221225472/);
    return true;
  });
  assert.deepEqual(started, [false]);
  // A context that fits stays on wasm32.
  started.length = 0;
  e = await Engine.load([reader], resolveConfig({ threads: 1 }, ALL), env(100 * MiB));
  assert.deepEqual(started, [false]);
  assert.equal(e.info.memory64, false);
});
