// The WebGPU kernel checks, shared by Node (tests/js/webgpu-kernels.test.mjs, Dawn) and headless
// Chromium (tests/e2e/webgpu.test.mjs, SwiftShader): every WGSL kernel of js/src/webgpu against
// the C++ reference (core/quant's quantizers/dequantizers and kernels/ref, through the wasm
// module's ref* bindings) on many shapes: odd sizes, several blocks, row counts that are not a
// multiple of the workgroup, weights split across bindings by a forced tiny limit. Plain ES module
// (no Node or DOM APIs) taking its dependencies as arguments; returns one result per case.

import { halfValue, maxUlps, randomFloats, rng, unwrap } from './check-util.mjs';
import { cacheChecks } from './cache-checks.mjs';

/**
 * Runs every check. deps: { device, lib: the js/dist/webgpu exports, ref: the wasm module,
 * packedDot: the adapter has dot4I8Packed (then the integer matmul path is checked too) }. Returns
 * [{ name, ok, err, bound }] where err is the worst error / allowed error ratio seen.
 */
export async function runKernelChecks({ device, lib, ref, packedDot }) {
  // The plain kernels, and where the device has subgroups the subgroupAdd matmul reductions too.
  // The plain ones keep only 16 bind groups, so every check also runs through cache evictions.
  const k = new lib.GpuKernels(device, { subgroups: false, bindCache: 16 });
  const variants = [['', k]];
  if (device.features.has('subgroups')) variants.push([' (subgroups)', new lib.GpuKernels(device, { subgroups: true })]);
  const results = [];
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  const record = (name, worst, detail = '') => results.push({ name, ok: worst <= 1, worst: Number(worst.toPrecision(3)), detail });

  async function run(fn, kernels = k) {
    const enc = device.createCommandEncoder();
    fn(enc);
    await kernels.submit(enc);
  }

  // ---- the weight checks' common steps (types with a decoder, and types dequantized at upload) ----

  /** Uploads a weight (rows x cols of GGUF type typeId), split across bindings of `split` rows of
   *  rowBytes (a forced tiny limit) when split > 0; returns it with its checks' label. */
  function upload({ typeId, rows, cols, tokens, bytes, split, rowBytes, name, bufferLabel = name, dequantize }) {
    const limit = split ? split * rowBytes + 4 : maxBinding;
    const w = lib.uploadWeight(device, typeId, rows, cols, bytes, limit, bufferLabel, dequantize);
    const label = `${name} ${rows}x${cols} tokens ${tokens}${split ? ` split into ${w.parts.length} parts` : ''}`;
    if (split && w.parts.length < 2) throw new Error(`${label}: the forced split did not split`);
    return { w, label };
  }

  /** Runs fn on kernels vk, which writes n floats of yb (NaN before: an unwritten output fails),
   *  and reads them back. */
  async function output(vk, yb, n, fn) {
    device.queue.writeBuffer(yb, 0, new Float32Array(n).fill(NaN));
    await run(fn, vk);
    return lib.readF32(device, yb, n);
  }

  /** The worst error of y (tokens x rows) against sum_c deq[r, c] * act(t * cols + c) in double,
   *  over tol * sum |w x| (act: the activation the GPU multiplied, by flat index). */
  function matmulWorst(y, deq, act, rows, cols, tokens, tol) {
    let worst = 0;
    for (let ti = 0; ti < tokens; ++ti)
      for (let r = 0; r < rows; ++r) {
        let dot = 0;
        let mag = 0;
        for (let c = 0; c < cols; ++c) {
          const p = deq[r * cols + c] * act(ti * cols + c);
          dot += p;
          mag += Math.abs(p);
        }
        worst = Math.max(worst, Math.abs(y[ti * rows + r] - dot) / (tol * mag + 1e-30));
      }
    return worst;
  }

  /** The float matmul of w (reference floats deq) with `tokens` rows of random activations, through
   *  each kernel variant of vs, recorded with matmulWorst's tol. Returns the activations x, their
   *  buffer xb and the output buffer yb (the caller destroys both). */
  async function checkMatmul({ w, deq, rows, cols, tokens, rand, vs, tol, label }) {
    const x = randomFloats(rand, tokens * cols);
    const xb = lib.f32Buffer(device, x.length, x);
    const yb = lib.f32Buffer(device, tokens * rows);
    for (const [vname, vk] of vs) {
      const y = await output(vk, yb, tokens * rows, (enc) => vk.matmul(enc, w, xb, yb, tokens));
      record(
        `matmul${vname} ${label}`,
        matmulWorst(y, deq, (i) => x[i], rows, cols, tokens, tol),
      );
    }
    return { x, xb, yb };
  }

  /** get_rows of ids from w (cols columns): the rows read back. */
  async function getRows(w, ids, cols) {
    const idb = lib.u32Buffer(device, ids);
    const gb = lib.f32Buffer(device, ids.length * cols);
    await run((enc) => k.getRows(enc, w, idb, ids.length, gb));
    const g = await lib.readF32(device, gb, ids.length * cols);
    idb.destroy();
    gb.destroy();
    return g;
  }

  // ---- weights: matmul (decode and prefill) and get_rows for every type ----
  const shapes = [
    // [rows, blocks per row, tokens, split rows per part (0: one binding)]
    [1, 1, 1, 0],
    [3, 3, 1, 0],
    [65, 7, 1, 7],
    [130, 2, 3, 0],
    [33, 5, 11, 4],
    [64, 1, 8, 0],
    [257, 2, 1, 100],
  ];
  for (const [name, typeId] of Object.entries(lib.GPU_TYPES)) {
    const t = lib.gpuTypeInfo(typeId);
    const rand = rng(typeId * 7919 + 1);
    for (const [rows, blocks, tokens, split] of shapes) {
      // F32/F16/BF16 (pseudo-blocks of 4): 260 * blocks columns, less 8 when several.
      const realCols = t.block === 4 ? 260 * blocks - (blocks > 1 ? 8 : 0) : blocks * t.block;
      const wf = randomFloats(rand, rows * realCols, 0.5);
      const bytes = unwrap(ref.refQuantizeRows(typeId, wf, rows, realCols));
      const deq = unwrap(ref.refDequantizeRows(typeId, bytes, rows, realCols));
      const rowBytes = bytes.length / rows;
      const { w, label } = upload({ typeId, rows, cols: realCols, tokens, bytes, split, rowBytes, name, bufferLabel: `${name} w` });
      // f32 accumulation of realCols products: well under 1e-6 of sum |w x| (eps = 6e-8).
      const { x, xb, yb } = await checkMatmul({ w, deq, rows, cols: realCols, tokens, rand, vs: variants, tol: 1e-6, label });

      // The integer path: activations quantized on the GPU as the CPU does for this weight type
      // (checked against the C++ Q8_0 quantizer, or Q8_K's for K-quants), weights dotted with
      // dot4I8Packed; reference: the dequantized weights times the GPU's own int8 activations, in
      // double.
      if (packedDot && lib.GpuKernels.hasIntegerPath(w)) {
        const qb = t.block === 256 ? 256 : 32;
        const xq = lib.f32Buffer(device, (tokens * realCols) / 4);
        const xd = lib.f32Buffer(device, (tokens * realCols) / 32);
        await run((enc) => k.quantizeQ8(enc, xb, xq, xd, tokens * realCols, qb));
        const q = new Int8Array(await lib.readBytes(device, xq, tokens * realCols));
        const d = await lib.readF32(device, xd, (tokens * realCols) / 32);
        // Q8_0 blocks: f16 d, 32 int8; Q8_K: f32 d, 256 int8, 16 i16 sums
        const [cType, cBytes, cOff] = qb === 32 ? [8, 34, 2] : [15, 292, 4];
        const cq = unwrap(ref.refQuantizeRows(cType, x, tokens, realCols));
        const cd = new DataView(cq.buffer, cq.byteOffset);
        let qdiff = 0;
        for (let i = 0; i < q.length; ++i) {
          const c = (cq[cBytes * Math.floor(i / qb) + cOff + (i % qb)] << 24) >> 24;
          qdiff = Math.max(qdiff, Math.abs(c - q[i]));
        }
        // The scales as the CPU's dot products read them: Q8_0's f16 d, Q8_K's f32 d (the GPU
        // writes Q8_K's to each of its 8 XD entries).
        const blocks = (tokens * realCols) / qb;
        const cScale = Float32Array.from({ length: blocks }, (_, b) =>
          qb === 32 ? halfValue(cd.getUint16(cBytes * b, true)) : cd.getFloat32(cBytes * b, true),
        );
        const gScale = Float32Array.from({ length: blocks }, (_, b) => d[(b * qb) / 32]);
        const dUlps = maxUlps(gScale, cScale);
        // The C++ quantizer's float operations (its division and f16 rounding): the same bytes.
        record(
          `quantize_q8${qb === 256 ? '_K' : ''} ${label}`,
          qdiff + dUlps === 0 ? 0 : 1 + qdiff + dUlps,
          `bit-exact: max quant difference ${qdiff}, scale ${dUlps} ulp`,
        );
        for (const [vname, vk] of variants) {
          const yq = await output(vk, yb, tokens * rows, (enc) => vk.matmulQ8(enc, w, xq, xd, yb, tokens));
          const qworst = matmulWorst(yq, deq, (i) => d[i >> 5] * q[i], rows, realCols, tokens, 1e-6);
          record(`matmul_q8 (dot4I8Packed)${vname} ${label}`, qworst);
        }
        xq.destroy();
        xd.destroy();
      }

      // get_rows: ids in any order, repeats, first and last rows (every part when split).
      const ids = [rows - 1, 0, Math.floor(rows / 2), 0, rows - 1].slice(0, rows === 1 ? 2 : 5);
      const g = await getRows(w, ids, realCols);
      let gworst = 0;
      ids.forEach((id, i) => {
        let amax = 0;
        for (let c = 0; c < realCols; ++c) amax = Math.max(amax, Math.abs(deq[id * realCols + c]));
        // The decoders repeat the C++ float operations; a fused multiply-add may move the last bit.
        const bound = 2.5e-7 * amax + 1e-30;
        for (let c = 0; c < realCols; ++c) gworst = Math.max(gworst, Math.abs(g[i * realCols + c] - deq[id * realCols + c]) / bound);
      });
      record(`get_rows ${label}`, gworst);
      for (const b of [xb, yb]) b.destroy();
      lib.destroyWeight(w);
    }
  }

  // ---- types without a decoder: dequantized to f16 at upload (C++ reference dequantizer) ----
  // Blocks from the C++ quantizer where it has one; else random bytes (every bit pattern of the
  // grid I-quants' and ternary types' indices decodes) with a finite d: a half at byte dOffset,
  // or IQ1_M's d spread over the top nibbles of its four u16 scales (bytes 49, 51, 53, 55).
  {
    const dequantize = { rows: lib.moduleDequantizer(ref) };
    const dOffset = { 34: 52, 35: 64 }; // TQ1_0, TQ2_0; the grid I-quants: 0
    for (const typeId of lib.DEQUANT_TYPE_IDS) {
      const g = lib.GGML_TYPES[typeId];
      const rand = rng(typeId * 104729 + 3);
      for (const [rows, blocks, tokens, split] of [
        [1, 1, 1, 0],
        [65, 2, 1, 7],
        [33, 3, 5, 0],
      ]) {
        const cols = blocks * 256;
        let bytes;
        const wf = randomFloats(rand, rows * cols, 0.5);
        const q = ref.refQuantizeRows(typeId, wf, rows, cols);
        if (q.code === 'ok') bytes = q.value;
        else {
          bytes = new Uint8Array((rows * cols * g.typeSize) / g.blockSize);
          for (let i = 0; i < bytes.length; ++i) bytes[i] = Math.floor(rand() * 256);
          for (let b = 0; b < bytes.length; b += g.typeSize) {
            const d = lib.f16Bits(0.002 + 0.01 * rand());
            if (typeId === 29)
              for (let i = 0; i < 4; ++i) bytes[b + 49 + 2 * i] = (bytes[b + 49 + 2 * i] & 0x0f) | (((d >> (4 * i)) & 15) << 4);
            else {
              bytes[b + (dOffset[typeId] ?? 0)] = d & 0xff;
              bytes[b + (dOffset[typeId] ?? 0) + 1] = d >> 8;
            }
          }
        }
        const deq = unwrap(ref.refDequantizeRows(typeId, bytes, rows, cols));
        // Bytes given as a function (a wasm heap view, asked for again before every chunk).
        let asked = 0;
        const getBytes = () => (++asked, bytes);
        const { w, label } = upload({
          typeId,
          rows,
          cols,
          tokens,
          bytes: split ? getBytes : bytes,
          split,
          rowBytes: cols * 2,
          name: `dequantized ${g.name}`,
          bufferLabel: g.name,
          dequantize,
        });
        if (split && asked <= w.parts.length)
          throw new Error(`${g.name}: the bytes were asked for ${asked} times for ${w.parts.length} parts`);
        if (w.type.name !== 'F16' || w.fileTypeId !== typeId || w.rowBytes !== cols * 2)
          throw new Error(`${label}: uploaded as ${w.type.name}`);
        // get_rows returns the stored f16 values: exactly the reference's floats rounded to f16.
        const ids = [...new Set([0, rows - 1, Math.floor(rows / 2)])];
        const got = await getRows(w, ids, cols);
        const h = new Uint16Array(1);
        let mismatches = 0;
        ids.forEach((id, i) => {
          for (let c = 0; c < cols; ++c) {
            lib.toF16(deq.subarray(id * cols + c, id * cols + c + 1), h);
            if (lib.f16Bits(got[i * cols + c]) !== h[0]) ++mismatches;
          }
        });
        record(`get_rows ${label}`, mismatches === 0 ? 0 : 2, `${mismatches} values differ from f16(reference)`);
        // The matvec/matmul against the reference floats in double: f16 storage moves each weight
        // by at most 2^-11 of itself. Through the forward pass's variant only.
        const vs = [variants[variants.length - 1]];
        const { xb, yb } = await checkMatmul({ w, deq, rows, cols, tokens, rand, vs, tol: 2 ** -11 + 1e-6, label });
        for (const b of [xb, yb]) b.destroy();
        lib.destroyWeight(w);
      }
    }
    // Without a dequantizer such a type stays a typed error.
    let code = 'none';
    try {
      lib.uploadWeight(device, 11, 1, 256, new Uint8Array(110), maxBinding, 'q3_K');
    } catch (e) {
      code = e.code;
    }
    record(`q3_K without a dequantizer is 'unsupported' (got ${code})`, code === 'unsupported' ? 0 : 2);
    // Values past the f16 range (an IQ2_XXS block with d = 60000) are a typed error, not inf.
    const big = new Uint8Array(66);
    for (let i = 2; i < 66; ++i) big[i] = (i * 37) & 0xff;
    const dBig = lib.f16Bits(60000);
    [big[0], big[1]] = [dBig & 0xff, dBig >> 8];
    let bigErr = 'none';
    try {
      lib.uploadWeight(device, 16, 1, 256, big, maxBinding, 'iq2_xxs', dequantize);
    } catch (e) {
      bigErr = `${e.code}: ${e.message}`;
    }
    record(`f16 overflow is 'unsupported' (got ${bigErr})`, /^unsupported: iq2_xxs: \d+ weights beyond the f16 range/.test(bigErr) ? 0 : 2);
  }

  // ---- f32 -> f16 rounding against the C++ fp32_to_fp16 (refQuantizeRows F16), bit for bit ----
  {
    const vals = [
      0,
      -0,
      1,
      -1,
      65504,
      65519.99,
      65520,
      -70000,
      1e-8,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.0001,
      3 * 2 ** -26,
      2 ** -14,
      2 ** -14 * (1 - 2 ** -12),
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      1 + 2 ** -11 + 2 ** -20,
      Infinity,
      -Infinity,
      NaN,
    ];
    const rand = rng(15);
    while (vals.length < 4096) {
      const f = new Float32Array(1);
      new Uint32Array(f.buffer)[0] = Math.floor(rand() * 2 ** 32);
      vals.push(rand() < 0.5 ? f[0] : (rand() - 0.5) * 2 ** Math.floor(rand() * 44 - 30));
    }
    const xs = new Float32Array(vals);
    const want = new Uint16Array(unwrap(ref.refQuantizeRows(1, xs, 1, xs.length)).slice().buffer);
    const got = new Uint16Array(xs.length);
    lib.toF16(xs, got);
    let bad = 0;
    for (let i = 0; i < xs.length; ++i) if (got[i] !== want[i]) ++bad;
    record(`f32 -> f16 rounding (${xs.length} values incl. ties, subnormals, overflow, NaN)`, bad === 0 ? 0 : 2, `${bad} differ`);
  }

  // ---- rms_norm ----
  {
    const rand = rng(11);
    for (const [rows, n] of [
      [1, 7],
      [3, 64],
      [5, 257],
      [2, 4096],
    ]) {
      const x = randomFloats(rand, rows * n, 3);
      const wn = randomFloats(rand, n);
      const want = unwrap(ref.refRmsNorm(x, wn, 1e-5));
      const [xb, wb, yb] = [lib.f32Buffer(device, x.length, x), lib.f32Buffer(device, n, wn), lib.f32Buffer(device, x.length)];
      await run((enc) => k.rmsNorm(enc, xb, wb, yb, rows, n, 1e-5));
      const got = await lib.readF32(device, yb, x.length);
      let worst = 0;
      for (let i = 0; i < x.length; ++i) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (2e-6 * Math.abs(want[i]) + 1e-7));
      record(`rms_norm ${rows}x${n}`, worst);
      for (const b of [xb, wb, yb]) b.destroy();
    }
  }

  // ---- layer_norm (encoders), with and without a bias; in place through a copy, as the model runs it ----
  {
    const rand = rng(16);
    for (const [rows, n, bias] of [
      [1, 7, true],
      [3, 64, false],
      [5, 257, true],
      [2, 4096, true],
    ]) {
      // An offset mean, as a residual stream has: the centered two-pass variance must not cancel.
      const x = randomFloats(rand, rows * n, 3).map((v) => v + 5);
      const wn = randomFloats(rand, n);
      const bn = bias ? randomFloats(rand, n) : new Float32Array(0);
      const want = unwrap(ref.refLayerNorm(x, wn, bn, 1e-12));
      const [xb, wb, yb] = [lib.f32Buffer(device, x.length, x), lib.f32Buffer(device, n, wn), lib.f32Buffer(device, x.length)];
      const bb = bias ? lib.f32Buffer(device, n, bn) : undefined;
      await run((enc) => k.layerNorm(enc, xb, wb, bb, yb, rows, n, 1e-12));
      const got = await lib.readF32(device, yb, x.length);
      let worst = 0;
      for (let i = 0; i < x.length; ++i) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (6e-6 * (Math.abs(want[i]) + 0.1)));
      record(`layer_norm ${rows}x${n}${bias ? ' bias' : ''}`, worst);
      for (const b of [xb, wb, yb, bb]) b?.destroy();
    }
  }

  // ---- rope (normal and NeoX, partial rotary, positions up to 5000; frequency divisors as Llama 3's
  // rope_freqs and LongRoPE's factors, LongRoPE's attn_factor, linear scaling, other bases; one
  // table row for every token, as a context shift's negative position). The table is the C++
  // rope_angles' (moduleRopeAngles, as the backend builds it): the rotations equal the CPU's bit
  // for bit. ----
  {
    const rand = rng(12);
    const angles = lib.moduleRopeAngles(ref);
    for (const [
      nHead,
      headDim,
      nRot,
      neox,
      positions,
      base = 10000,
      freqScale = 1,
      withFactors = false,
      attnFactor = 1,
      oneRow = false,
    ] of [
      [2, 8, 8, false, [0, 1, 2]],
      [3, 64, 64, true, [17]],
      [4, 80, 32, false, [5, 999, 4097]],
      [2, 128, 128, true, [0, 3000, 5000, 77]],
      [2, 64, 64, false, [0, 9, 2000], 500000, 1, true],
      [3, 64, 48, true, [1, 130, 4000], 10000, 1, true, 1.3093],
      [2, 128, 128, true, [7, 3333], 1e6, 0.125],
      [2, 64, 64, false, [-2000, -2000, -2000], 10000, 1, false, 1, true],
      [4, 128, 96, true, [-31, -31], 1e6, 0.25, true, 1, true],
    ]) {
      const tokens = positions.length;
      const x = randomFloats(rand, tokens * nHead * headDim);
      const factors = withFactors ? Float32Array.from({ length: nRot / 2 }, () => 1 + 39 * rand() ** 2) : new Float32Array(0);
      const want = new Float32Array(x.length);
      positions.forEach((p, t) => {
        const span = nHead * headDim;
        const row = x.subarray(t * span, (t + 1) * span);
        want.set(unwrap(ref.refRope(row, headDim, nRot, p, base, freqScale, neox, factors, attnFactor)), t * span);
      });
      const table = angles(Int32Array.from(oneRow ? positions.slice(0, 1) : positions), nRot, base, freqScale, factors, attnFactor);
      const xb = lib.f32Buffer(device, x.length, x);
      const tb = lib.f32Buffer(device, table.length, table);
      await run((enc) => k.rope(enc, xb, tb, tokens, nHead, headDim, { nRot, neox, oneRow }));
      const got = await lib.readF32(device, xb, x.length);
      const ulps = maxUlps(got, want);
      const extra = `${base !== 10000 ? ` base ${base}` : ''}${freqScale !== 1 ? ` scale ${freqScale}` : ''}${withFactors ? ' factors' : ''}${attnFactor !== 1 ? ` attn_factor ${attnFactor}` : ''}${oneRow ? ' one row' : ''}`;
      record(
        `rope ${neox ? 'neox' : 'normal'} heads ${nHead} dim ${headDim} rot ${nRot} pos ${positions.join(',')}${extra}`,
        ulps === 0 ? 0 : 1 + ulps,
        `bit-exact: max ${ulps} ulp`,
      );
      xb.destroy();
      tb.destroy();
    }
  }

  // ---- swiglu, geglu, add (plain, bias rows, scaled), scale, softcap ----
  {
    const rand = rng(13);
    for (const n of [1, 63, 65, 1000]) {
      const gt = randomFloats(rand, n, 4);
      if (n === 1000) gt.set([-104.5, -90, -87.5, 88.9, 95, 0, -0, 1e-30, -10, 10, -9.999, 9.999]); // exp's clamps, GELU's ends
      const up = randomFloats(rand, n);
      // SwiGLU repeats the CPU backend's SIMD kernel (exp_f32x4): bit for bit on its groups of 4;
      // a row's last n % 4 values take the C++ reference (std::exp) there, within 1e-6 here.
      const want = unwrap(ref.kernelSiluMul(gt, up));
      const [gb, ub] = [lib.f32Buffer(device, n, gt), lib.f32Buffer(device, n, up)];
      await run((enc) => k.swiglu(enc, gb, ub, n));
      const got = await lib.readF32(device, gb, n);
      const simd = n - (n % 4);
      const ulps = maxUlps(got.subarray(0, simd), want.subarray(0, simd));
      let worst = ulps === 0 ? 0 : 1 + ulps;
      for (let i = simd; i < n; ++i) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-6 * Math.abs(want[i]) + 1e-7));
      record(`swiglu ${n}`, worst, `bit-exact on ${simd}: max ${ulps} ulp`);
      const ab = lib.f32Buffer(device, n, up);
      await run((enc) => k.add(enc, ab, ub, n));
      const sum = await lib.readF32(device, ab, n);
      let aworst = 0;
      for (let i = 0; i < n; ++i) aworst = Math.max(aworst, sum[i] === Math.fround(up[i] + up[i]) ? 0 : 2);
      record(`add ${n}`, aworst);
      // The same dispatch again (its cached bind group) on the updated buffer: 2 up + up.
      await run((enc) => k.add(enc, ab, ub, n));
      const sum3 = await lib.readF32(device, ab, n);
      let rworst = 0;
      for (let i = 0; i < n; ++i) rworst = Math.max(rworst, sum3[i] === Math.fround(Math.fround(up[i] + up[i]) + up[i]) ? 0 : 2);
      record(`add ${n} repeated`, rworst);
      for (const b of [gb, ub, ab]) b.destroy();

      // GeGLU repeats the CPU backend's SIMD gelu_mul: bit for bit on its groups of 4. Its last
      // n % 4 values take ggml's f16 GELU table there (tanh of a slightly different float): one
      // f16 step (2^-11 relative) at most.
      const wantG = unwrap(ref.kernelGeluMul(gt, up));
      const [g2, u2] = [lib.f32Buffer(device, n, gt), lib.f32Buffer(device, n, up)];
      await run((enc) => k.geglu(enc, g2, u2, n));
      const gotG = await lib.readF32(device, g2, n);
      const gUlps = maxUlps(gotG.subarray(0, simd), wantG.subarray(0, simd));
      let gworst = gUlps === 0 ? 0 : 1 + gUlps;
      for (let i = simd; i < n; ++i) gworst = Math.max(gworst, Math.abs(gotG[i] - wantG[i]) / (1e-3 * Math.abs(wantG[i]) + 1e-7));
      record(`geglu ${n}`, gworst, `bit-exact on ${simd}: max ${gUlps} ulp`);
      // GELU alone (bert's ungated FFN), the same tolerance.
      const wantE = unwrap(ref.refGelu(gt));
      const eb = lib.f32Buffer(device, n, gt);
      await run((enc) => k.gelu(enc, eb, n));
      const gotE = await lib.readF32(device, eb, n);
      let eworst = 0;
      for (let i = 0; i < n; ++i) eworst = Math.max(eworst, Math.abs(gotE[i] - wantE[i]) / (1e-3 * Math.abs(wantE[i]) + 1e-7));
      record(`gelu ${n}`, eworst);
      eb.destroy();

      // A bias repeated over rows (period) and a scaled residual add: exact f32 arithmetic.
      const period = Math.max(1, Math.floor(n / 3));
      const s = 0.22;
      const yb = lib.f32Buffer(device, n, gt);
      await run((enc) => {
        k.add(enc, yb, u2, n, { period });
        k.add(enc, yb, u2, n, { scale: s });
      });
      const gotA = await lib.readF32(device, yb, n);
      let pworst = 0;
      for (let i = 0; i < n; ++i) {
        const w = Math.fround(Math.fround(gt[i] + up[i % period]) + Math.fround(Math.fround(s) * up[i]));
        pworst = Math.max(pworst, gotA[i] === w ? 0 : 2);
      }
      record(`add period ${period} / scale ${s} ${n}`, pworst);

      // scale (exact) and softcap (tanh within a few ulps of the cap).
      const cap = 30;
      const big = randomFloats(rand, n, 40);
      const sb = lib.f32Buffer(device, n, big);
      await run((enc) => k.scale(enc, sb, 16, n));
      const gotS = await lib.readF32(device, sb, n);
      let sworst = 0;
      for (let i = 0; i < n; ++i) sworst = Math.max(sworst, gotS[i] === Math.fround(big[i] * 16) ? 0 : 2);
      record(`scale ${n}`, sworst);
      const wantC = unwrap(ref.refSoftcap(gotS, cap));
      await run((enc) => k.softcap(enc, sb, cap, n));
      const gotC = await lib.readF32(device, sb, n);
      let cworst = 0;
      for (let i = 0; i < n; ++i) cworst = Math.max(cworst, Math.abs(gotC[i] - wantC[i]) / (4e-7 * cap + 1e-6 * Math.abs(wantC[i])));
      record(`softcap ${cap} ${n}`, cworst);
      for (const b of [g2, u2, yb, sb]) b.destroy();
    }
  }

  await cacheChecks({ device, lib, ref, k, run, record });
  return results;
}
