/**
 * Reading a reaction request body: one JSON object, or JSON lines. A line that is not a reaction is
 * yielded with its findings (so a request's problems are listed together); size limits answer 413.
 */
import readline from 'node:readline';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { FieldError, InvalidRequest, isCdpError, PayloadTooLarge } from '../core/errors';
import { requestSchemas } from '../core/validation';

/** Reactions per request (JSON lines). */
export const MAX_REACTION_LINES = 100_000;
/** One reaction is a few hundred bytes; a line this long is not one. */
export const MAX_REACTION_LINE_BYTES = 64 * 1024;
const MAX_JSON_BYTES = 64 * 1024;

export interface ReactionLine {
  line: number;
  /** JSON Pointer prefix of this reaction in the request (`/<line-1>`, or '' for one JSON body). */
  prefix: string;
  value?: Record<string, unknown>;
  errors: FieldError[];
}

export async function* singleReaction(body: Readable): AsyncGenerator<ReactionLine> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const part of body) {
    size += (part as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new PayloadTooLarge(`One JSON reaction is at most ${MAX_JSON_BYTES} bytes; send many as JSON lines (application/x-ndjson)`);
    parts.push(part as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new InvalidRequest('The request body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequest('Send one reaction as a JSON object, or many as JSON lines (application/x-ndjson)');
  }
  // One reaction is an ordinary request body: shape errors are 400 like everywhere else.
  requestSchemas().check('reaction-create', value, 'body');
  yield { line: 1, prefix: '', value: value as Record<string, unknown>, errors: [] };
}

export async function* reactionLines(body: Readable): AsyncGenerator<ReactionLine> {
  // readline buffers a whole line: bound each line before it does, so one endless line cannot
  // take the process's memory.
  let tooLong: Error | null = null;
  let lineBytes = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _enc, done) {
      let from = 0;
      for (let i = chunk.indexOf(10); ; i = chunk.indexOf(10, from)) {
        lineBytes += (i === -1 ? chunk.length : i) - from;
        if (lineBytes > MAX_REACTION_LINE_BYTES) {
          tooLong = new PayloadTooLarge(`A reaction line is at most ${MAX_REACTION_LINE_BYTES} bytes`, { limit: MAX_REACTION_LINE_BYTES });
          return done(tooLong);
        }
        if (i === -1) break;
        lineBytes = 0;
        from = i + 1;
      }
      done(null, chunk);
    },
  });
  body.on('error', (err) => bounded.destroy(err));
  body.pipe(bounded);
  const rl = readline.createInterface({ input: bounded, crlfDelay: Infinity });
  bounded.on('error', () => rl.close());
  let n = 0;
  for await (const raw of rl) {
    n++;
    const text = raw.trim();
    if (text === '') continue;
    if (n > MAX_REACTION_LINES) {
      rl.close();
      throw new PayloadTooLarge(`At most ${MAX_REACTION_LINES} reactions per request; split the file`, { limit: MAX_REACTION_LINES });
    }
    const prefix = `/${n - 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line: n, prefix, errors: [{ pointer: prefix, rule: 'json', message: `line ${n}: not valid JSON` }] };
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      yield { line: n, prefix, errors: [{ pointer: prefix, rule: 'type', message: `line ${n}: must be a JSON object` }] };
      continue;
    }
    try {
      requestSchemas().check('reaction-create', value, 'body', prefix);
    } catch (err) {
      if (!isCdpError(err)) throw err;
      yield { line: n, prefix, errors: (err.extras.errors ?? []).map((e) => ({ ...e, message: `line ${n}: ${e.pointer.slice(prefix.length) || '/'} ${e.message}` })) };
      continue;
    }
    yield { line: n, prefix, value: value as Record<string, unknown>, errors: [] };
  }
  if (tooLong) throw tooLong;
}
