// A GGUF header source over a local file (Node): reads only the prefix the parser asks for.
import { openFile } from '../node-env.js';
import { readGgufHeader, type GgufHeader, type HeaderReadOptions, type PrefixSource } from './header.js';

export async function fileSource(path: string): Promise<PrefixSource> {
  const { file, size } = await openFile(path);
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
