// The scripts' access to the package's own GGUF header reader (js/src/gguf/, compiled to js/dist/):
// one reader for the CLI's inspect, the benchmark and the equivalence check.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'js', 'dist', 'gguf', 'file-source.js');

/** readGgufFile(path, { maxArray, rawStringArrays }) -> { version, alignment, dataOffset, fileBytes,
 *  metadata: { key: { type, value, length? } }, tensors: [{ name, type, typeId, shape, elements, bytes, offset }] }. */
export async function readGgufFile(path, options) {
  if (!existsSync(dist))
    throw new Error('the package is not built (js/dist/gguf/): run npm run build:package, or npx tsc -p js/tsconfig.json');
  const m = await import(pathToFileURL(dist).href);
  return m.readGgufFile(path, options);
}

/** The metadata as key -> value (whole arrays; string arrays as raw bytes when asked). */
export async function readGgufMetadata(path, { rawStringArrays = false } = {}) {
  const h = await readGgufFile(path, { maxArray: Infinity, rawStringArrays });
  return Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, v.value]));
}
