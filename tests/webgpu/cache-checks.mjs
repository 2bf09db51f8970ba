// The WebGPU checks of the KV cache kernels (part of kernel-checks.mjs's run): f16 rows stored with
// the CPU's rounding and read back exactly, the context shift of an f16 cache, and attention over
// f16 and f32 caches against the C++ reference attention, of one sequence and of several packed
// into one batch (embeddings), and over sliding-window rings. Plain ES module (no Node or DOM
// APIs).
import { randomFloats, rng, unwrap } from './check-util.mjs';

/** The C++ reference attention (refAttendF16 over an f16 cache, else refAttend) of q (tokens,
 *  nHead, headDim) over the cache rows kc, vc (positions 0.., kvDim each) that each token sees:
 *  token t rows spans[2t] .. spans[2t + 1] - 1, the last `window` of them when window > 0; and
 *  per output the slack for an f16 cache: one f16 step (<= 2^-10 p) of the
 *  largest p_j |v_j| (the probabilities are rounded to f16 after the softmax: where the GPU's
 *  differs from the CPU's in its last f32 bits, a p_j at a rounding midpoint may round the other
 *  way). */
function attentionRef(ref, kv, q, kc, vc, s) {
  const { nHead, nKvHead, headDim, scale, window, softcap, spans } = s;
  const kvDim = nKvHead * headDim;
  const want = new Float32Array(q.length);
  const slack = new Float32Array(q.length);
  for (let t = 0; t < spans.length / 2; ++t) {
    const [lo, end] = [spans[2 * t], spans[2 * t + 1]];
    const from = window > 0 ? Math.max(lo, end - window) : lo;
    const n = end - from;
    for (let h = 0; h < nHead; ++h) {
      const kh = Math.floor(h / (nHead / nKvHead));
      const kr = new Float32Array(n * headDim);
      const vr = new Float32Array(n * headDim);
      for (let j = 0; j < n; ++j) {
        const r = (from + j) * kvDim + kh * headDim;
        kr.set(kc.subarray(r, r + headDim), j * headDim);
        vr.set(vc.subarray(r, r + headDim), j * headDim);
      }
      const o = (t * nHead + h) * headDim;
      const qh = q.subarray(o, o + headDim);
      const attend = kv === 'f16' ? ref.refAttendF16 : ref.refAttend;
      want.set(unwrap(attend.call(ref, qh, kr, vr, headDim, n, scale, softcap)), o);
      if (kv !== 'f16') continue;
      const sc = Array.from({ length: n }, (_, j) => {
        let d = 0;
        for (let e = 0; e < headDim; ++e) d += qh[e] * kr[j * headDim + e];
        d *= scale;
        return softcap > 0 ? Math.tanh(d / softcap) * softcap : d;
      });
      const mx = Math.max(...sc);
      const sum = sc.reduce((a, x) => a + Math.exp(x - mx), 0);
      for (let e = 0; e < headDim; ++e) {
        let m = 0;
        for (let j = 0; j < n; ++j) m = Math.max(m, (Math.exp(sc[j] - mx) / sum) * Math.abs(vr[j * headDim + e]));
        slack[o + e] = m * 2 ** -10;
      }
    }
  }
  return { want, slack };
}

/** The worst error of got against want, in units of 3e-6 (|want| + 0.1) + slack (NaN: Infinity). */
function attentionError(got, { want, slack }) {
  let worst = 0;
  for (let i = 0; i < got.length; ++i) {
    const err = Math.abs(got[i] - want[i]) / (3e-6 * (Math.abs(want[i]) + 0.1) + slack[i]);
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}

/** ctx: { device, lib, ref, k: GpuKernels, run(fn): records and submits, record(name, worst, detail) }. */
export async function cacheChecks({ device, lib, ref, k, run, record }) {
  // ---- the f16 KV cache: rows stored with the CPU's rounding and read back exactly ----
  const F16 = 1; // GGUF type id: core/quant's fp32_to_fp16 / fp16_to_fp32 through refQuantizeRows
  {
    const rand = rng(16);
    for (const [rows, kvDim, row0] of [
      [1, 2, 0],
      [3, 64, 5],
      [70, 130, 1],
    ]) {
      const x = randomFloats(rand, rows * kvDim, 3);
      // Edge values: ties, the largest finite half, overflow to inf, subnormals, tiny, NaN, -0.
      const edges = [65504, 65519.99, 65520, -70000, 1e-5, -3e-7, 2.9802322e-8, 6.0975552e-5, 1.0004883, 1.0014648, NaN, -0, Infinity];
      edges.forEach((v, i) => i < x.length && (x[(i * 7) % x.length] = v));
      const cache = lib.storageBuffer(device, (row0 + rows) * kvDim * 2, 'cache');
      const xb = lib.f32Buffer(device, x.length, x);
      const back = lib.f32Buffer(device, x.length);
      await run((enc) => {
        k.kvStore(enc, xb, cache, row0, rows, kvDim);
        k.kvLoad(enc, cache, back, row0, rows, kvDim);
      });
      const got = new Uint8Array(await lib.readBytes(device, cache, rows * kvDim * 2, row0 * kvDim * 2));
      const want = unwrap(ref.refQuantizeRows(F16, x, rows, kvDim));
      let bad = 0;
      for (let i = 0; i < got.length; ++i) bad += got[i] === want[i] ? 0 : 1;
      record(`kv store f16 ${rows}x${kvDim} at row ${row0}`, bad ? 2 : 0, `${bad} bytes differ`);
      const wantF = unwrap(ref.refDequantizeRows(F16, want, rows, kvDim));
      const gotF = await lib.readF32(device, back, x.length);
      let lbad = 0;
      for (let i = 0; i < gotF.length; ++i)
        lbad += Object.is(gotF[i], wantF[i]) || (Number.isNaN(gotF[i]) && Number.isNaN(wantF[i])) ? 0 : 1;
      record(`kv load f16 ${rows}x${kvDim}`, lbad ? 2 : 0, `${lbad} values differ`);
      for (const b of [cache, xb, back]) b.destroy();
    }
  }

  // ---- context shift of an f16 KV cache: rows moved down, keys widened, re-rotated and rounded
  // again (KvCache::shift on the CPU); NoPE layers and values move as bytes ----
  {
    const rand = rng(15);
    for (const [nKvHead, headDim, nRot, neox, nKeep, nDiscard, nPast, nCtx, layers] of [
      [1, 8, 8, false, 0, 1, 2, 4, 1],
      [2, 64, 64, false, 4, 30, 64, 64, 3], // the moved rows overlap their destination; layer 2: NoPE
      [2, 80, 32, true, 1, 7, 40, 48, 1],
      [4, 128, 128, true, 5, 2000, 4090, 4096, 1],
      [2, 16, 16, false, 3, 3, 6, 8, 1], // nothing after the discarded rows moves
    ]) {
      const kvDim = nKvHead * headDim;
      const rowBytes = kvDim * 2;
      const caches = [];
      for (let l = 0; l < layers; ++l) {
        const kc = unwrap(ref.refQuantizeRows(F16, randomFloats(rand, nCtx * kvDim), nCtx, kvDim)); // f16 bytes
        const vc = unwrap(ref.refQuantizeRows(F16, randomFloats(rand, nCtx * kvDim), nCtx, kvDim));
        const wantK = kc.slice();
        const wantV = vc.slice();
        const base = l === 0 ? 10000 : 500000; // per-layer RoPE parameters (the second layer: another base)
        const nope = l === 2;
        for (let p = nKeep + nDiscard; p < nPast; ++p) {
          const src = kc.subarray(p * rowBytes, (p + 1) * rowBytes);
          const moved = nope
            ? src
            : unwrap(
                ref.refQuantizeRows(
                  F16,
                  unwrap(ref.refRope(unwrap(ref.refDequantizeRows(F16, src, 1, kvDim)), headDim, nRot, -nDiscard, base, 1, neox, [], 1)),
                  1,
                  kvDim,
                ),
              );
          wantK.set(moved, (p - nDiscard) * rowBytes);
          wantV.set(vc.subarray(p * rowBytes, (p + 1) * rowBytes), (p - nDiscard) * rowBytes);
        }
        // The shift's one table row: the angles of position -nDiscard (the C++ rope_angles').
        const table = nope
          ? undefined
          : lib.f32Buffer(device, nRot, unwrap(ref.refRopeAngles(Int32Array.of(-nDiscard), nRot, base, 1, [], 1)));
        const rope = table && ((enc, x, rows) => k.rope(enc, x, table, rows, nKvHead, headDim, { nRot, neox, oneRow: true }));
        const upload = (bytes) => {
          const b = lib.storageBuffer(device, bytes.length, 'cache', true);
          new Uint8Array(b.getMappedRange()).set(bytes);
          b.unmap();
          return b;
        };
        caches.push({ k: upload(kc), v: upload(vc), rope, table, wantK, wantV });
      }
      let scratch = [];
      await run((enc) => (scratch = k.kvShift(enc, caches, { nKeep, nDiscard, nPast, kvDim })));
      for (const b of scratch) b.destroy();
      // The GPU rotates by the CPU's own cos/sin with the same float operations (the rope check):
      // every half of the shifted cache equals the CPU's bits.
      let worst = 0;
      let steps = 0;
      let total = 0;
      for (const c of caches) {
        const gotBytes = new Uint8Array(await lib.readBytes(device, c.k, nCtx * rowBytes));
        const gotK = unwrap(ref.refDequantizeRows(F16, gotBytes, nCtx, kvDim));
        const wantK = unwrap(ref.refDequantizeRows(F16, c.wantK, nCtx, kvDim));
        const gotV = new Uint8Array(await lib.readBytes(device, c.v, nCtx * rowBytes));
        for (let i = 0; i < gotK.length; ++i) if (!Object.is(gotK[i], wantK[i])) ++steps;
        total += gotK.length;
        for (let i = 0; i < gotV.length; ++i) worst = Math.max(worst, gotV[i] === c.wantV[i] ? 0 : 2);
        for (const b of [c.k, c.v, c.table]) b?.destroy();
      }
      if (steps > 0) worst = Math.max(worst, 2);
      record(
        `kv shift f16 ${layers} layers heads ${nKvHead} dim ${headDim} rot ${nRot} keep ${nKeep} drop ${nDiscard} of ${nPast}`,
        worst,
        `bit-exact: ${steps} of ${total} keys differ`,
      );
    }
  }

  // ---- attention over a KV cache: causal (windows, soft-caps) and not, GQA and MHA, decode and
  // prefill, contexts many tiles long, packed sequences (lens: each token sees only its own
  // sequence's rows, as Context::layout_packed); over an f16 cache (written by kvStore) against the
  // CPU's f16 attention, over an f32 one against the f32 attention ----
  {
    const rand = rng(14);
    for (const [nHead, nKvHead, headDim, pos0, tokens, nCtx, window = 0, softcap = 0, causal = true, lens] of [
      [4, 2, 8, 0, 5, 16],
      [4, 4, 64, 37, 1, 64],
      [6, 2, 80, 20, 5, 40],
      [2, 1, 16, 130, 3, 200],
      [4, 2, 32, 10, 9, 32, 16],
      [4, 1, 128, 30, 2, 40, 0, 3],
      [2, 2, 64, 3, 20, 32, 8, 50],
      [4, 4, 16, 0, 7, 16, 0, 0, false], // non-causal (encoders)
      [6, 2, 64, 0, 70, 80, 0, 0, false],
      [2, 1, 32, 5, 4, 16, 0, 0, false],
      [8, 2, 64, 2000, 2, 2048], // 32 tiles of keys
      [2, 1, 256, 700, 3, 1024, 0, 30], // head_dim 256: two pairs of dims an invocation
      [4, 2, 64, 1500, 4, 1600, 300], // a window of ~5 tiles far into the context
      [4, 4, 32, 0, 7, 8, 0, 0, false], // non-causal (encoders): every token sees all 7 rows
      [2, 1, 16, 60, 6, 70, 0, 0, false], // non-causal after earlier rows
      [1, 1, 2, 0, 65, 65], // head_dim 2, a tile and one key
      // Packed sequences: causal (decoders) and not (encoders), GQA, one-token ones, a window, a
      // soft-cap, sequences over several tiles of keys.
      [4, 2, 16, 0, 9, 16, 0, 0, true, [3, 1, 5]],
      [4, 4, 32, 0, 13, 16, 0, 0, false, [4, 7, 2]],
      [6, 2, 64, 0, 64, 64, 0, 0, true, [1, 1, 30, 1, 31]],
      [2, 1, 64, 0, 150, 160, 0, 0, false, [70, 1, 79]],
      [2, 1, 32, 0, 27, 32, 8, 0, true, [20, 7]],
      [4, 2, 64, 0, 140, 140, 0, 30, true, [65, 75]],
    ]) {
      // The rows each token sees: lo..hi - 1 (packed), else from 0 to itself (causal) or to the end.
      const spans = new Uint32Array(2 * tokens);
      if (lens) {
        let t = 0;
        for (const len of lens) for (let i = 0, start = t; i < len; ++i, ++t) spans.set([start, causal ? t + 1 : start + len], 2 * t);
      } else for (let t = 0; t < tokens; ++t) spans.set([0, causal ? pos0 + t + 1 : pos0 + tokens], 2 * t);
      const kvDim = nKvHead * headDim;
      const kc = randomFloats(rand, nCtx * kvDim);
      const vc = randomFloats(rand, nCtx * kvDim);
      const q = randomFloats(rand, tokens * nHead * headDim, 0.7);
      const scale = 1 / Math.sqrt(headDim);
      for (const kv of ['f16', 'f32']) {
        const expected = attentionRef(ref, kv, q, kc, vc, { nHead, nKvHead, headDim, scale, window, softcap, spans });
        const bufs = { q: lib.f32Buffer(device, q.length, q), out: lib.f32Buffer(device, q.length) };
        if (kv === 'f16') {
          bufs.k = lib.storageBuffer(device, nCtx * kvDim * 2, 'k');
          bufs.v = lib.storageBuffer(device, nCtx * kvDim * 2, 'v');
          const [kf, vf] = [lib.f32Buffer(device, kc.length, kc), lib.f32Buffer(device, vc.length, vc)];
          await run((enc) => {
            k.kvStore(enc, kf, bufs.k, 0, nCtx, kvDim);
            k.kvStore(enc, vf, bufs.v, 0, nCtx, kvDim);
          });
          kf.destroy();
          vf.destroy();
        } else {
          bufs.k = lib.f32Buffer(device, kc.length, kc);
          bufs.v = lib.f32Buffer(device, vc.length, vc);
        }
        device.queue.writeBuffer(bufs.out, 0, new Float32Array(q.length).fill(NaN)); // unwritten: fails
        if (lens) bufs.spans = lib.u32Buffer(device, spans);
        await run((enc) => k.attention(enc, bufs, { tokens, pos0, nHead, nKvHead, headDim, scale, window, softcap, causal, kv }));
        const worst = attentionError(await lib.readF32(device, bufs.out, q.length), expected);
        const extra = `${window ? ` window ${window}` : ''}${softcap ? ` softcap ${softcap}` : ''}${causal ? '' : ' non-causal'}${
          lens ? ` packed ${lens.join('+')}` : ''
        }`;
        record(`attention ${kv} heads ${nHead}/${nKvHead} dim ${headDim} pos0 ${pos0} tokens ${tokens}${extra}`, worst);
        for (const b of Object.values(bufs)) b.destroy();
      }
    }
  }

  // ---- a sliding-window layer's ring (transformer.ts ringRows: window + batch - 1 rows, position
  // p in row p % ring): positions stored batch by batch through kvStore's ring (runs that wrap),
  // then attention of the last batch through the ring against the C++ f16 attention over the
  // positions in order; prefill and decode, rings wrapped many times, a window of many tiles ----
  {
    const rand = rng(17);
    for (const [nHead, nKvHead, headDim, window, batch, pos0, tokens, softcap = 0] of [
      [4, 2, 32, 8, 4, 41, 4], // the last batch wraps (rows 8..10, then 0)
      [4, 1, 128, 16, 8, 100, 1], // decode
      [2, 2, 64, 16, 16, 37, 16, 50], // a whole batch, soft-capped (gemma2)
      [4, 2, 16, 16, 4, 5, 3], // the ring not yet full
      [2, 1, 8, 1, 3, 10, 3], // a window of one position
      [2, 1, 256, 300, 64, 1000, 64, 30], // a window of ~5 tiles, head_dim 256
    ]) {
      const kvDim = nKvHead * headDim;
      const ring = window + batch - 1;
      const end = pos0 + tokens;
      const kc = randomFloats(rand, end * kvDim);
      const vc = randomFloats(rand, end * kvDim);
      const q = randomFloats(rand, tokens * nHead * headDim, 0.7);
      const scale = 1 / Math.sqrt(headDim);
      const bufs = {
        q: lib.f32Buffer(device, q.length, q),
        out: lib.f32Buffer(device, q.length),
        k: lib.storageBuffer(device, ring * kvDim * 2, 'k ring'),
        v: lib.storageBuffer(device, ring * kvDim * 2, 'v ring'),
      };
      // Batches of `batch` positions up to pos0, then the tokens' own.
      const starts = [];
      for (let p = 0; p < pos0; p += batch) starts.push([p, Math.min(batch, pos0 - p)]);
      starts.push([pos0, tokens]);
      for (const [p, n] of starts) {
        const rows = (a) => lib.f32Buffer(device, n * kvDim, a.subarray(p * kvDim, (p + n) * kvDim));
        const [kf, vf] = [rows(kc), rows(vc)];
        await run((enc) => {
          k.kvStore(enc, kf, bufs.k, p, n, kvDim, ring);
          k.kvStore(enc, vf, bufs.v, p, n, kvDim, ring);
        });
        kf.destroy();
        vf.destroy();
      }
      // Each row holds the f16 bytes of the last position stored in it.
      const got = new Uint8Array(await lib.readBytes(device, bufs.k, ring * kvDim * 2));
      let bad = 0;
      for (let p = Math.max(0, end - ring); p < end; ++p) {
        const want = unwrap(ref.refQuantizeRows(F16, kc.subarray(p * kvDim, (p + 1) * kvDim), 1, kvDim));
        const at = (p % ring) * kvDim * 2;
        for (let i = 0; i < want.length; ++i) bad += got[at + i] === want[i] ? 0 : 1;
      }
      record(`kv store f16 ring ${ring} through position ${end - 1}`, bad ? 2 : 0, `${bad} bytes differ`);
      const s = { nHead, nKvHead, headDim, pos0, tokens, scale, window, softcap, causal: true };
      const spans = Uint32Array.from({ length: 2 * tokens }, (_, i) => (i % 2 ? pos0 + (i - 1) / 2 + 1 : 0));
      const expected = attentionRef(ref, 'f16', q, kc, vc, { ...s, spans });
      device.queue.writeBuffer(bufs.out, 0, new Float32Array(q.length).fill(NaN)); // unwritten: fails
      await run((enc) => k.attention(enc, bufs, { ...s, kv: 'f16', ring }));
      const worst = attentionError(await lib.readF32(device, bufs.out, q.length), expected);
      record(
        `attention f16 ring ${ring} heads ${nHead}/${nKvHead} dim ${headDim} window ${window} pos0 ${pos0} tokens ${tokens}${softcap ? ` softcap ${softcap}` : ''}`,
        worst,
      );
      // A ring too short for the batch's earliest window: a typed error, nothing recorded.
      let code = 'none';
      try {
        await run((enc) => k.attention(enc, bufs, { ...s, kv: 'f16', ring: window + tokens - 2 }));
      } catch (e) {
        code = e.code;
      }
      record(
        `attention ring of ${window + tokens - 2} rows for window ${window}, ${tokens} tokens: refused`,
        code === 'invalid_argument' ? 0 : 2,
        code,
      );
      for (const b of Object.values(bufs)) b.destroy();
    }
  }
}
