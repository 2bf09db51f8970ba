// Helpers shared by the WebGPU kernel checks (kernel-checks.mjs, cache-checks.mjs): a seeded PRNG,
// test data and the bindings' result unwrapping. Plain ES module (no Node or DOM APIs).

/** mulberry32: a small deterministic PRNG. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n roughly normal floats with a per-row scale, plus a few outliers (exercise the block scales). */
export function randomFloats(rand, n, scale = 1) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    const g = (rand() + rand() + rand() + rand() - 2) * 1.7;
    out[i] = (rand() < 0.01 ? g * 8 : g) * scale;
  }
  return out;
}

export function unwrap(r) {
  if (r.code !== 'ok') throw new Error(`${r.code}: ${r.message}`);
  return r.value;
}

/** The largest distance in f32 ulps (steps between representable floats) between got[i] and
 *  want[i]: 0 when the two are the same floats bit for bit (+0 and -0 apart by one). */
export function maxUlps(got, want) {
  const g = new Int32Array(Float32Array.from(got).buffer);
  const w = new Int32Array(Float32Array.from(want).buffer);
  // Sign-magnitude bits to a monotonic integer line.
  const line = (b) => (b < 0 ? -0x80000000 - b : b);
  let worst = 0;
  for (let i = 0; i < g.length; ++i) worst = Math.max(worst, Math.abs(line(g[i]) - line(w[i])));
  return worst;
}

/** The value of f16 bits h (IEEE half: subnormals, inf, NaN). */
export function halfValue(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
