/**
 * Request bytes the framework would otherwise pass on mangled: path parameters that decode to text
 * PostgreSQL cannot store (a NUL would reach the query), and JSON bodies that are not UTF-8
 * (express.json would decode them with U+FFFD in place of the bad bytes and store that).
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ruleError } from '../core/errors';
import { findUnstorableText } from '../core/text-guard';

/**
 * Path parameters, as the router decoded them, that no identifier can hold: 400 naming the
 * parameter. (Bytes that do not decode at all fail in the router itself: problem.ts maps its
 * URIError to 400 with pointer /path.)
 */
export function assertStorablePathParams(params: Record<string, string>): void {
  for (const [name, decoded] of Object.entries(params)) {
    const hit = findUnstorableText(decoded, `/path/${name}`);
    if (!hit) continue;
    throw ruleError(
      hit.pointer,
      hit.rule,
      hit.rule === 'nul_character' ? 'contains a NUL character (%00), which no identifier holds; remove it' : 'contains a lone UTF-16 surrogate, which is not valid Unicode text',
      400,
    );
  }
}

/** express.json `verify`: refuses a UTF-8 body that is not UTF-8, naming the first bad byte. */
export function verifyUtf8(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string): void {
  if (encoding !== 'utf-8' || isUtf8(buf)) return;
  const at = firstInvalidUtf8Byte(buf);
  throw ruleError('', 'utf-8', `invalid UTF-8 at byte ${at}; send the body encoded as UTF-8`, 400);
}

/**
 * Offset of the first byte that is not part of well-formed UTF-8 (called only after isUtf8 said
 * no). Node's decoder puts U+FFFD where a bad sequence starts; a U+FFFD the sender really encoded
 * is the bytes EF BF BD, so the first U+FFFD without them marks the spot.
 */
export function firstInvalidUtf8Byte(buf: Buffer): number {
  let offset = 0;
  for (const ch of buf.toString('utf8')) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfffd && !(buf[offset] === 0xef && buf[offset + 1] === 0xbf && buf[offset + 2] === 0xbd)) return offset;
    offset += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return offset;
}
