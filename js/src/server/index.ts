// The OpenAI-compatible HTTP server as a library: createServer(model, {modelId, ...}).listen(port).
export { createServer } from './server.js';
export type { ChordServer, ServerOptions, ServerStats } from './server.js';
export { HttpError } from './http.js';
