/**
 * Streams a file as one request body (fs.createReadStream → http request with Content-Length, so
 * memory stays flat whatever the size) and shows how far it got on stderr: a cli-progress bar on a
 * terminal, a plain line every few seconds otherwise (logs, CI). Rows are counted as newlines pass;
 * the exact counts come from the service's answer.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { SingleBar } from 'cli-progress';
import { CliError, EXIT, usageError } from '../exit';
import { unreachable } from './api';
import { bytes, count, seconds } from './output';

/** How often the plain progress line is written when stderr is not a terminal. */
export const PLAIN_PROGRESS_EVERY_MS = 3000;

export interface UploadTarget {
  url: string;
  headers: Record<string, string>;
  file: string;
  size: number;
  /** Lines that are no rows (a CSV header), left out of the running row count. */
  headerLines: number;
  /** False for a compressed file, whose bytes hold no newlines to count. */
  countRows: boolean;
  signal?: AbortSignal;
}

export interface UploadAnswer {
  status: number;
  body: unknown;
  /** From the first byte sent to the answer. */
  elapsedMs: number;
}

/** The bar, or the plain line; `sent()` when the last byte left, `stop()` to leave the terminal tidy. */
class UploadProgress {
  private readonly bar: SingleBar;
  private readonly started = Date.now();
  private sentBytes = 0;
  private lines = 0;
  private lastByte = 10;
  private active = false;
  private ended = false;
  private waiting?: NodeJS.Timeout;

  constructor(
    private readonly total: number,
    private readonly headerLines: number,
    private readonly countRows: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    const tty = stream.isTTY === true;
    this.bar = new SingleBar({
      stream,
      format: (options, params) => this.line(tty ? `upload ${bar(params.progress, options.barsize ?? 30)} ` : 'upload ', params.progress),
      noTTYOutput: true,
      notTTYSchedule: PLAIN_PROGRESS_EVERY_MS,
      // Without a terminal the final line is the one render() wrote: no blank line after it.
      clearOnComplete: !tty,
      hideCursor: tty,
      barsize: 30,
    });
  }

  /** Once connected: a service that is not there shows no bar, only its error. */
  begin(): void {
    if (this.active) return;
    this.active = true;
    this.bar.start(this.total, this.sentBytes);
  }

  private rows(): number {
    return Math.max(0, this.lines - this.headerLines);
  }

  private line(prefix: string, progress: number): string {
    const elapsed = Math.max(1, Date.now() - this.started) / 1000;
    const sent = `${prefix}${Math.floor(progress * 100)}% | ${bytes(this.sentBytes)} / ${bytes(this.total)} | ${bytes(this.sentBytes / elapsed)}/s`;
    return this.countRows ? `${sent} | ${count(this.rows())} rows | ${count(Math.round(this.rows() / elapsed))} rows/s` : sent;
  }

  add(chunk: Buffer): void {
    this.sentBytes += chunk.length;
    if (this.countRows) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines += 1;
      if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
    }
    this.bar.update(this.sentBytes);
  }

  sent(): void {
    if (this.ended) return;
    // A last line without its newline still holds a row.
    if (this.lastByte !== 10) this.lines += 1;
    this.stop();
    const rows = this.countRows ? ` (~${count(this.rows())} rows)` : '';
    const line = `… sent ${bytes(this.sentBytes)}${rows} in ${seconds(Date.now() - this.started)}; waiting for the service to complete the batch`;
    // Completing a large batch takes a while (indexes, the merge): show that it is still going.
    const sentAt = Date.now();
    if (this.stream.isTTY) {
      this.stream.write(line);
      this.waiting = setInterval(() => this.stream.write(`\r\x1b[2K${line} (${seconds(Date.now() - sentAt)})`), 1000);
    } else {
      this.stream.write(`${line}\n`);
      this.waiting = setInterval(() => this.stream.write(`… still completing the batch (${seconds(Date.now() - sentAt)})\n`), 10_000);
    }
  }

  stop(): void {
    if (this.waiting) {
      clearInterval(this.waiting);
      this.waiting = undefined;
      if (this.stream.isTTY) this.stream.write('\n');
    }
    if (this.ended) return;
    this.ended = true;
    if (!this.active) return;
    this.bar.update(this.sentBytes);
    this.bar.stop();
  }
}

function bar(progress: number, size: number): string {
  const done = Math.round(Math.min(1, Math.max(0, progress)) * size);
  return '█'.repeat(done) + '░'.repeat(size - done);
}

/** POSTs the file and resolves with the service's answer (any status); rejects only without one. */
export function streamUpload(target: UploadTarget): Promise<UploadAnswer> {
  const url = new URL(target.url);
  const transport = url.protocol === 'https:' ? https : http;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const progress = new UploadProgress(target.size, target.headerLines, target.countRows);
    const file = fs.createReadStream(target.file, { highWaterMark: 256 * 1024 });
    const req = transport.request(url, { method: 'POST', headers: { ...target.headers, 'Content-Length': String(target.size) }, signal: target.signal });
    req.once('socket', (socket) => socket.once('connect', () => progress.begin()));
    let answered = false;
    let settled = false;
    const fail = (err: CliError) => {
      if (settled) return;
      settled = true;
      progress.stop();
      file.destroy();
      req.destroy();
      reject(err);
    };
    req.on('response', (res) => {
      answered = true;
      // An answer before the last byte is a refusal (no such dataset, bad options): stop sending.
      file.unpipe(req);
      file.destroy();
      progress.stop();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(unreachable(target.url, err)));
      res.on('end', () => {
        settled = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks), res.headers['content-type']), elapsedMs: Date.now() - started });
      });
    });
    req.on('error', (err) => {
      if (target.signal?.aborted) return fail(new CliError('interrupted: the upload was stopped before the end; the service fails its batch', EXIT.interrupted));
      if (!answered) fail(unreachable(url.origin, err));
    });
    file.on('data', (chunk) => progress.add(chunk as Buffer));
    // 'finish': every byte is handed to the socket (after it connected), not just read from disk.
    req.on('finish', () => progress.sent());
    file.on('error', (err) => fail(usageError(`cannot read ${target.file}: ${err.message}`)));
    file.pipe(req);
  });
}

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (!/json/.test(contentType ?? '')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
