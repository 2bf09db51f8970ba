// A GGUF header source over a local file (Node): reads only the prefix the parser asks for.
import { open } from 'node:fs/promises';
import { WasmChordError } from '../errors.js';
import { readGgufHeader, type GgufHeader, type HeaderReadOptions, type PrefixSource } from './header.js';

export async function fileSource(path: string): Promise<PrefixSource> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WasmChordError(code === 'ENOENT' ? 'not_found' : 'io_error',
      `cannot open '${path}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const file = fh;
  const size = (await file.stat()).size;
  return {
    size,
    async prefix(n) {
      const len = Math.min(n, size);
      const bytes = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await file.read(bytes, got, len - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { bytes: bytes.subarray(0, got), complete: got === size };
    },
    close: () => file.close(),
  };
}

/** Reads a GGUF file's header (see readGgufHeader) and closes the file. */
export async function readGgufFile(path: string, options?: HeaderReadOptions): Promise<GgufHeader> {
  const src = await fileSource(path);
  try {
    return await readGgufHeader(src, options);
  } finally {
    await src.close();
  }
}
