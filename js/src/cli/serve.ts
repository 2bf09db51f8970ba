// `wasm-chord serve`: loads a model and serves the OpenAI-compatible HTTP API until Ctrl-C/SIGTERM.
import { createServer } from '../server/server.js';
import { HELP_OPTION, MODEL_OPTIONS, UsageError, type CommandSpec, type Values } from './args.js';
import { loadFromArgs, modelArg, modelName } from './load.js';

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary:
    'Serve the model over an OpenAI-compatible HTTP API:\n' +
    '  POST /v1/chat/completions, POST /v1/completions   (JSON, or SSE with "stream": true)\n' +
    '  POST /v1/generate                                 (SSE: one event per token)\n' +
    '  GET  /v1/models, GET /health\n' +
    'Requests run one at a time in arrival order; a client that disconnects cancels its generation.',
  usage: 'wasm-chord serve -m PATH|URL [--host 127.0.0.1] [--port 8080] [options]',
  maxPositionals: 1,
  options: [
    ...MODEL_OPTIONS,
    { name: 'host', type: 'string', arg: 'ADDR', help: 'address to listen on (default 127.0.0.1)' },
    { name: 'port', type: 'int', min: 0, max: 65535, arg: 'N', help: 'port, 0 = any free port (default 8080)' },
    { name: 'alias', type: 'string', arg: 'NAME', help: 'model id in /v1/models and responses (default: file name)' },
    { name: 'api-key', type: 'string', arg: 'KEY', help: 'require "Authorization: Bearer KEY" on /v1 routes' },
    { name: 'cors-origin', type: 'string', arg: 'ORIGIN', help: 'Access-Control-Allow-Origin (default *; "none" sends no CORS headers)' },
    {
      name: 'n-predict',
      short: 'n',
      type: 'int',
      min: -1,
      arg: 'N',
      help: 'max_tokens for requests without one; -1 = until the context is full',
    },
    { name: 'max-queue', type: 'int', min: 0, arg: 'N', help: 'requests that may wait for their turn; more get 503 (default 64)' },
    { name: 'verbose', short: 'v', type: 'flag', help: 'log every request to stderr' },
    HELP_OPTION,
  ],
  notes: [
    'example:',
    '  wasm-chord serve -m model.gguf --port 8080 &',
    '  curl http://127.0.0.1:8080/v1/chat/completions -H "Content-Type: application/json" \\',
    '       -d \'{"messages": [{"role": "user", "content": "Hello"}], "stream": true}\'',
  ],
};

export async function serve(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host needs an address');
  const port = (values.port as number | undefined) ?? 8080;
  const cors = values['cors-origin'] as string | undefined;
  const loadCtl = new AbortController();
  const onLoadSignal = () => loadCtl.abort();
  process.once('SIGINT', onLoadSignal);
  process.once('SIGTERM', onLoadSignal);
  let model;
  try {
    model = await loadFromArgs({ values, src, signal: loadCtl.signal });
  } finally {
    process.off('SIGINT', onLoadSignal);
    process.off('SIGTERM', onLoadSignal);
  }
  const verbose = values.verbose === true;
  const modelId = (values.alias as string | undefined) ?? modelName(src);
  const server = createServer(model, {
    modelId,
    corsOrigin: cors === 'none' ? null : cors,
    apiKey: values['api-key'] as string | undefined,
    maxQueue: values['max-queue'] as number | undefined,
    defaultMaxTokens: values['n-predict'] as number | undefined,
    log: verbose ? (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : undefined,
  });
  let url: string;
  try {
    url = await server.listen(port, host);
  } catch (e) {
    await model.dispose();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`cannot listen on ${host}:${port}: the address is already in use`);
    if (code === 'EACCES') throw new Error(`cannot listen on ${host}:${port}: permission denied`);
    throw new Error(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  const i = model.info;
  process.stderr.write(
    `wasm-chord: serving '${modelId}' (${i.arch}, ${i.parameterCount} parameters, context ${i.contextLength}, ` +
      `${i.threads} thread${i.threads === 1 ? '' : 's'})\n`,
  );
  process.stderr.write(`wasm-chord: listening on ${url} (OpenAI API at ${url}/v1)\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`wasm-chord: ${sig}, shutting down\n`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await model.dispose();
  return 0;
}
