/** Helpers shared by the source connectors: base-name globs, timeouts, guarded read streams. */
import { Readable } from 'node:stream';
import { ConnectorError, RemoteFile } from './types';

/**
 * Compiles a glob on a file's base name: `*` (any run of characters), `?` (one), `[abc]`, `[a-z]`,
 * `[!abc]`, `{csv,tsv}`. Everything else is literal; matching is case-sensitive, like the file
 * systems and buckets it runs against. As in a shell, names starting with "." (hidden files, rsync's
 * in-progress temp files) only match patterns that start with "." too.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  if (braces > 0) throw new ConnectorError('protocol', `file pattern "${pattern}" has an unclosed "{": fix the dataflow's file pattern`, false);
  return new RegExp(`^${pattern.startsWith('.') ? '' : '(?!\\.)'}${re}$`, 's');
}

export function baseName(p: string): string {
  const trimmed = p.endsWith('/') ? p.slice(0, -1) : p;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Oldest first so runs pick files up in the order the partner dropped them; path breaks ties. */
export function sortFiles(files: RemoteFile[]): RemoteFile[] {
  return files.sort((a, b) => a.modifiedAt.getTime() - b.modifiedAt.getTime() || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Races work against a timer; onTimeout runs (e.g. to drop a connection in an unknown state) before the rejection. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => ConnectorError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Wraps a network read stream: errors (and a close before the end) become ConnectorErrors, and the
 * stream fails when the remote sends nothing for idleMs while we are waiting for data. Time spent
 * paused because our consumer is slow does not count.
 */
export function guardStream(
  source: Readable,
  opts: { idleMs: number; mapError: (err: unknown) => ConnectorError; onIdle: () => ConnectorError },
): Readable {
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const out = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      arm();
      source.resume();
    },
    destroy(err, cb) {
      disarm();
      source.removeListener('close', onClose);
      if (!source.destroyed) source.destroy();
      cb(err);
    },
  });
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    timer = setTimeout(() => out.destroy(opts.onIdle()), opts.idleMs);
  };
  const onClose = () => {
    if (!ended && !out.destroyed) out.destroy(opts.mapError(new Error('the connection closed before the end of the file')));
  };
  source.pause();
  source.on('data', (chunk: Buffer) => {
    if (out.push(chunk)) arm();
    else {
      disarm();
      source.pause();
    }
  });
  source.once('end', () => {
    ended = true;
    disarm();
    out.push(null);
  });
  // `on`, not `once`: a source may fail twice (a read and the close of its handle), and an error
  // emitted after we gave up on the source must not go unhandled.
  source.on('error', (err) => {
    if (!out.destroyed) out.destroy(opts.mapError(err));
  });
  source.once('close', onClose);
  return out;
}

/**
 * The errno-style code of a network error. Wrappers (the AWS SDK's retry layer, ssh2-sftp-client)
 * sometimes keep only the message, so fall back to the code spelled in it.
 */
export function networkCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  return /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EPIPE)\b/.exec(describe(err))?.[1];
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
