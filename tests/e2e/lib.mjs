// Shared e2e helpers: Debian's Chromium through playwright-core (fresh user-data dir per test),
// the demo server from scripts/serve.mjs on a free 127.0.0.1 port, and person-like page steps.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/lib/chromium.mjs';
import { startServer } from '../../scripts/serve.mjs';

export { CHROMIUM, CHROMIUM_ARGS };

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(REPO, 'test-results', 'e2e');
mkdirSync(ARTIFACTS, { recursive: true });

/** A server (startServer's options) plus a browser profile of its own; close() removes both. */
export async function session(t, serverOptions = {}) {
  const server = await startServer({ ...serverOptions, port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'wasm-chord-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const close = async () => {
    await context.close().catch(() => {});
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  t.after(async () => {
    if (logs.some((l) => l.startsWith('pageerror'))) t.diagnostic(logs.join('\n'));
    await close();
  });
  return { server, context, page, logs };
}

export function shot(page, name) {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Opens the demo and waits until its script has run. */
export async function openDemo(page, server, query = '') {
  await page.goto(`${server.url}/${query}`);
  await page.waitForSelector('body[data-ready=true]');
}

/** Waits for the model status to settle; returns its state ('ready', 'error', …). */
export async function waitLoaded(page, timeout = 60_000) {
  await page.waitForSelector('#model-status:not([data-state=loading])', { timeout });
  return page.getAttribute('#model-status', 'data-state');
}

export async function loadUrl(page, url) {
  await page.fill('#model-url', url);
  await page.click('#load-url');
  return waitLoaded(page);
}

export async function events(page, phase) {
  return Number(await page.getAttribute(`#progress-${phase}`, 'data-events'));
}

export function assistantText(page) {
  return page.evaluate(() => [...document.querySelectorAll('.msg[data-role=assistant] .body')].pop()?.textContent ?? '');
}

export async function setSettings(page, s) {
  for (const [id, v] of Object.entries(s)) await page.fill(`#${id}`, String(v));
}

/** Types a message and sends it with Enter, as a person would. */
export async function say(page, text) {
  await page.click('#prompt');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

export function waitGenerationEnd(page, timeout = 60_000) {
  return page.waitForSelector('#gen-state:not([data-state=generating])', { timeout });
}

/** Counts requestAnimationFrame callbacks from now on (the main thread's liveness). */
export function startFrameCounter(page) {
  return page.evaluate(() => {
    window.__frames = { n: 0, last: 0, maxGap: 0 };
    const tick = (now) => {
      const f = window.__frames;
      if (f.last) f.maxGap = Math.max(f.maxGap, now - f.last);
      f.last = now;
      f.n++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** { n: frames so far, maxGap: longest ms between two frames }. */
export function frames(page) {
  return page.evaluate(() => ({ n: window.__frames.n, maxGap: window.__frames.maxGap }));
}

/** The package's cache API, as the page sees it. */
export function cacheList(page) {
  return page.evaluate(async () => (await import('wasm-chord')).cache.list());
}

export function modelRequests(server, pathPart) {
  return server.stats.requests.filter((r) => r.path.includes(pathPart));
}

/** The loader's header probe (js/src/gguf/header.ts urlSource): a bounded Range request from byte
 *  0, sent before a download to check that the model fits; a resumed download asks `bytes=N-`. */
export const isHeaderProbe = (range) => /^bytes=0-\d+$/.test(range ?? '');
