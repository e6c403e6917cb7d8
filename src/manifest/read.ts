import { createReadStream } from 'node:fs';
import { ManifestError } from '../errors.js';

/** Largest manifest accepted by default: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * A manifest's text, read up to `maxBytes` and no further: a FIFO, a device (`/dev/zero`)
 * or a huge file is refused after reading one byte more than the limit, never loaded whole.
 */
export async function readManifestText(file: string, maxBytes = DEFAULT_MAX_BYTES): Promise<string> {
  const fail = (message: string) => new ManifestError(file, [{ path: '', line: 0, column: 0, message }]);
  const chunks: Buffer[] = [];
  let size = 0;
  // No start or end: pipes and devices cannot seek. The stream is left as soon as the cap is passed.
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) break;
      chunks.push(chunk);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'EISDIR' ? 'is a directory, not a manifest file; check the path' : `cannot read the file (${code ?? String(err)}); check the path`);
  } finally {
    stream.destroy();
  }
  if (size > maxBytes) throw fail(`file is over the ${maxBytes}-byte limit; is this really a manifest?`);
  return Buffer.concat(chunks).toString('utf8');
}

