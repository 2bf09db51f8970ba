// The browser inference Worker (a module Worker started by browser.ts): serves one model.
import { browserEnv, browserReaders } from './browser-env.js';
import { capabilities } from './probe.js';
import type { ToWorker } from './rpc.js';
import { serveWorker } from './worker-serve.js';

interface WorkerScope {
  postMessage(msg: unknown): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<ToWorker>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

serveWorker(
  { post: (m) => scope.postMessage(m), onMessage: (fn) => scope.addEventListener('message', (ev) => fn(ev.data)) },
  { env: browserEnv, readers: browserReaders, capabilities: () => capabilities() },
);
