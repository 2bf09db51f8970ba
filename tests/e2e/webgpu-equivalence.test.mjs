// Issue 14's llama.cpp equivalence grid through the WebGPU backend inside headless Chromium (the
// package's Worker, SwiftShader), a quick subset: scripts/equivalence.mjs --browser on tiny-llama
// Q4_0 and Q4_K, the bars of the CPU rows, and greedy output equal to the package's CPU backend's
// in the same page up to near-ties (the full grid runs in Node: tests/js/equivalence.test.mjs).
// A file of its own: the runner bounds each file's time. Skipped with a message when Chromium
// has no WebGPU adapter. Needs build/native-release (chord-synth, chord-cli).
import { test } from 'node:test';
import { grid } from '../js/equivalence-grid.mjs';

test('the WebGPU backend in Chromium matches llama.cpp on tiny-llama Q4_0 and Q4_K', (t) =>
  grid(['--browser', '--arch', 'tiny-llama', '--type', 'Q4_0,Q4_K'], { t }));
