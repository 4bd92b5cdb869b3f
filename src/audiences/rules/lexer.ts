/** The text form's tokens (see the grammar in parser.ts). */
import { stringProblem } from './literals';

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'punct' | 'error' | 'eof';
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  /** Decoded string or number. */
  value?: string | number;
  /** kind 'error': what the lexer could not read, thrown when the parser gets there. */
  error?: TextSyntaxError;
}

export class TextSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** `syntax`, or why valid PQL is refused here (`event-query`, `unsupported`). */
    readonly rule = 'syntax',
  ) {
    super(message);
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/**
 * The tokens up to the first thing that cannot be read, which becomes an `error` token: the parser
 * throws it only when it gets there, so refused PQL earlier in the rule (`chain(…[A: …])`) is
 * reported as refused, not as a stray character.
 */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  try {
    lexInto(text, tokens);
  } catch (err) {
    if (!(err instanceof TextSyntaxError)) throw err;
    tokens.push({ kind: 'error', text: '', start: err.offset, error: err });
  }
  tokens.push({ kind: 'eof', text: '', start: text.length });
  return tokens;
}

function lexInto(text: string, tokens: Token[]): void {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (IDENT_START.test(c)) {
      i++;
      for (;;) {
        while (i < text.length && IDENT_PART.test(text[i])) i++;
        if (text[i] !== '.') break;
        if (i + 1 >= text.length || !IDENT_START.test(text[i + 1])) {
          throw new TextSyntaxError('expected a field name after "." (path segments start with a letter or _)', i + 1);
        }
        i++;
      }
      tokens.push({ kind: 'ident', text: text.slice(start, i), start });
      continue;
    }
    if (DIGIT.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i))!;
      i += m[0].length;
      if (i < text.length && (IDENT_PART.test(text[i]) || text[i] === '.')) throw new TextSyntaxError(`expected a number, found "${text.slice(start, i + 1)}"`, start);
      tokens.push({ kind: 'number', text: m[0], start, value: Number(m[0]) });
      continue;
    }
    if (c === '"') {
      const { value, end } = readString(text, i);
      i = end;
      tokens.push({ kind: 'string', text: text.slice(start, end), start, value });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==') throw new TextSyntaxError('equality is "=", not "=="', i);
    if (two === '>=' || two === '<=' || two === '!=' || two === '<>') {
      tokens.push({ kind: 'op', text: two, start });
      i += 2;
      continue;
    }
    if (c === '=' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c, start });
      i++;
      continue;
    }
    if ('()[],+-'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, start });
      i++;
      continue;
    }
    if (c === "'") throw new TextSyntaxError("strings use double quotes: \"…\", not '…'", i);
    // PQL's `!(…)` is `not (…)`; a bare `!x`, `&&` and `||` are not PQL.
    if (c === '!' && /^!\s*\(/.test(text.slice(i, i + 100))) {
      tokens.push({ kind: 'punct', text: c, start });
      i++;
      continue;
    }
    if (two === '&&' || two === '||' || c === '!') throw new TextSyntaxError('use the keywords and, or, not (or !(…) around a condition)', i);
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    throw new TextSyntaxError(`unexpected character ${JSON.stringify(ch)}`, i);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function readString(text: string, open: number): { value: string; end: number } {
  let i = open + 1;
  let out = '';
  for (;;) {
    if (i >= text.length) throw new TextSyntaxError('expected a closing " for the string that starts here', open);
    const c = text[i];
    if (c === '"') break;
    if (c === '\\') {
      const e = text[i + 1];
      if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
        out += SIMPLE_ESCAPES[e];
        i += 2;
      } else if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new TextSyntaxError('expected four hex digits after \\u', i);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        throw new TextSyntaxError(`unknown escape "\\${e ?? ''}": use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX`, i);
      }
      continue;
    }
    if (c < ' ') throw new TextSyntaxError('control characters (such as a line break) must be escaped inside strings: \\n, \\t, \\uXXXX', i);
    out += c;
    i++;
  }
  const problem = stringProblem(out);
  if (problem) throw new TextSyntaxError(problem, open);
  return { value: out, end: i + 1 };
}
