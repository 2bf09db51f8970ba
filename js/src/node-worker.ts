// The Node inference thread (loadModel(…, { worker: true })): serves one model over worker_threads.
import { parentPort } from 'node:worker_threads';
import { nodeCapabilities, nodeEnv, nodeReaders } from './node-env.js';
import type { ToWorker } from './rpc.js';
import { serveWorker } from './worker-serve.js';

if (!parentPort) throw new Error('node-worker.js must run in a worker thread');
const port = parentPort;
serveWorker(
  { post: (m) => port.postMessage(m), onMessage: (fn) => port.on('message', (m: ToWorker) => fn(m)) },
  { env: nodeEnv, readers: nodeReaders, capabilities: nodeCapabilities },
);
