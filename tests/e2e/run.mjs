#!/usr/bin/env node
// Runs the Playwright e2e suites (node:test) against the demo in Debian's headless Chromium.
// Checks the prerequisites first (the built package, Chromium, the model fixtures) so a missing
// piece is reported as such. Screenshots land in test-results/e2e/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../../scripts/lib/chromium.mjs';
import { findModelsDir } from '../../scripts/serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const problems = [];
if (
  !existsSync(join(repo, 'js/dist/browser.js')) ||
  !existsSync(join(repo, 'js/dist/wasm/chord.wasm')) ||
  !existsSync(join(repo, 'js/dist/wasm/chord-mt.wasm')) ||
  !existsSync(join(repo, 'js/dist/wasm/chord-relaxed.wasm')) ||
  !existsSync(join(repo, 'js/dist/wasm/chord-relaxed-mt.wasm'))
)
  problems.push('the package is not built: run npm run build:package');
if (!existsSync(CHROMIUM)) problems.push('Chromium is missing: run npm run setup (Debian package chromium)');
if (
  !existsSync(join(repo, 'node_modules/marked/lib/marked.esm.js')) ||
  !existsSync(join(repo, 'node_modules/dompurify/dist/purify.es.mjs'))
)
  problems.push("the demo's marked and dompurify are missing: run npm ci");
if (!findModelsDir()) problems.push('the model fixtures are missing (set WASM_CHORD_MODELS to shared/models)');
if (problems.length) {
  for (const p of problems) console.error(`e2e: ${p}`);
  process.exit(1);
}
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(here)
        .filter((f) => f.endsWith('.test.mjs'))
        .sort()
        .map((f) => join(here, f));
// A test that hangs (a stuck browser call) fails after 5 minutes instead of stalling the run.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
  cwd: repo,
});
process.exit(r.status ?? 1);
