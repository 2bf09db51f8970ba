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
