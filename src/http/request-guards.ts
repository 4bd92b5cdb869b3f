/**
 * Request bytes the framework would otherwise mangle or fail on: path parameters that are not
 * percent-encoded UTF-8 (the router throws a bare URIError), path parameters that decode to text
 * PostgreSQL cannot store (a NUL reaches the query), and JSON bodies that are not UTF-8
 * (express.json would decode them with U+FFFD in place of the bad bytes and store that).
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ruleError } from '../core/errors';
import { findUnstorableText } from '../core/text-guard';
import type { RouteSpec } from './route';

interface RouteShape {
  method: string;
  segments: string[];
}

/**
 * Checks the path parameters of the first route the path fits (as the router would pick it) and
 * answers 400 naming the parameter. Only paths with a '%' can hold such bytes (the HTTP parser
 * refuses raw control characters), so the others pass untouched.
 */
export function pathParamGuard(routes: RouteSpec[]) {
  const shapes: RouteShape[] = routes.map((r) => ({ method: r.method, segments: r.path.split('/') }));
  return (req: Request, _res: Response, next: NextFunction) => {
    const path = req.path;
    if (!path.includes('%')) return next();
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();
    const segments = path.split('/');
    if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop(); // trailing slash matches too
    for (const shape of shapes) {
      if (shape.method !== method || shape.segments.length !== segments.length) continue;
      const params = fit(shape.segments, segments);
      if (!params) continue;
      for (const [name, raw] of params) {
        const problem = paramProblem(name, raw);
        if (problem) return next(problem);
      }
      return next();
    }
    next();
  };
}

function fit(pattern: string[], segments: string[]): [string, string][] | null {
  const params: [string, string][] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (!s) return null;
      params.push([p.slice(1), s]);
    } else if (p.toLowerCase() !== s.toLowerCase()) {
      return null;
    }
  }
  return params;
}

function paramProblem(name: string, raw: string): Error | null {
  const pointer = `/path/${name}`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
    return ruleError(pointer, 'percent_encoding', `is not valid percent-encoded UTF-8 (${shown}); percent-encode the UTF-8 bytes of the value (encodeURIComponent)`, 400);
  }
  const hit = findUnstorableText(decoded, pointer);
  if (!hit) return null;
  return ruleError(
    hit.pointer,
    hit.rule,
    hit.rule === 'nul_character' ? 'contains a NUL character (%00), which no identifier holds; remove it' : 'contains a lone UTF-16 surrogate, which is not valid Unicode text',
    400,
  );
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
