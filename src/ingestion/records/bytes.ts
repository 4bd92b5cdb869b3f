/**
 * The file's bytes as the scanners take them: gunzipped when the file is gzip (sniffed from the
 * magic bytes 1f 8b unless declared), cut into slices of at most 64 KiB, pulled only as fast as the
 * rows are consumed.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { FileError, ReadOptions, ReadStats, SLICE_BYTES } from './types';

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('readRecords: the input must be a byte stream');
}

function* slices(b: Buffer): Generator<Buffer> {
  if (b.length <= SLICE_BYTES) {
    if (b.length > 0) yield b;
    return;
  }
  for (let off = 0; off < b.length; off += SLICE_BYTES) yield b.subarray(off, off + SLICE_BYTES);
}

function isZlibError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The file's bytes, gunzipped when it is gzip, in slices of at most 64 KiB, pulled on demand. */
export async function* byteSource(input: Readable, opts: ReadOptions, counters: ReadStats): AsyncGenerator<Buffer> {
  const compression = opts.compression ?? 'auto';
  const name = opts.fileName ? `${opts.fileName}: ` : '';
  const it = input[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  let finished = false;
  try {
    // Peek at the first two bytes (they may arrive in separate chunks).
    const head: Buffer[] = [];
    let headLength = 0;
    let ended = false;
    while (headLength < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      counters.bytesRead += b.length;
      if (b.length > 0) {
        head.push(b);
        headLength += b.length;
      }
    }
    const first = head.length === 1 ? head[0] : Buffer.concat(head);
    const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    if (compression === 'gzip' && !gzip) {
      throw new FileError('compression', `${name}the file is declared gzip but is not gzip-compressed (no 1f 8b header); declare compression none or auto, or upload the .gz file`);
    }
    if (compression === 'none' && gzip) {
      throw new FileError('compression', `${name}the file is gzip-compressed but declared compression none; declare gzip or auto`);
    }
    const raw = async function* (): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const b = toBuffer(r.value);
        counters.bytesRead += b.length;
        if (b.length > 0) yield b;
      }
    };
    if (!gzip) {
      for await (const b of raw()) yield* slices(b);
      finished = true;
      return;
    }
    const gunzip = createGunzip();
    const source = Readable.from(raw(), { objectMode: false });
    pipeline(source, gunzip).catch(() => undefined); // errors surface through the iteration below
    try {
      for await (const out of gunzip) yield* slices(out as Buffer);
    } catch (err) {
      if (isZlibError(err)) {
        throw new FileError(
          'compression',
          `${name}the gzip data is damaged or truncated (${err.message}); upload the complete file again`,
        );
      }
      throw err;
    } finally {
      gunzip.destroy();
      source.destroy();
    }
    finished = true;
  } finally {
    // Stopped early (consumer break or an error): release the input like `for await` would.
    if (!finished) await it.return?.();
  }
}
