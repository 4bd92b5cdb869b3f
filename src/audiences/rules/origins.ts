/**
 * Where each node came from (a text offset or a JSON pointer), so the checker can point at it, and
 * how a rule's problems are thrown (one 422 listing them).
 */
import { FieldError, UnprocessableRequest } from '../../core/errors';

// Where each node came from, kept beside the AST so ASTs from both forms stay deep-equal.
export interface Loc {
  line: number;
  column: number;
}
// Text positions stay offsets until an error needs a line and column.
export type TextOrigin = { form: 'text'; locate: (offset: number) => Loc; field: number; op: number; value?: number; items?: number[] };
export type Origin = TextOrigin | { form: 'json'; pointer: string };
export const origins = new WeakMap<object, Origin>();

export function syntaxErrors(errors: FieldError[]): never {
  const detail = `The audience rule is not valid: ${errors
    .slice(0, 5)
    .map((e) => e.message)
    .join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`;
  throw new UnprocessableRequest(detail, { errors });
}

export function locator(text: string): (offset: number) => Loc {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  return (offset) => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    // Columns count code points, so a Korean or emoji character is one column.
    return { line: line + 1, column: [...text.slice(lineStarts[line], offset)].length + 1 };
  };
}

export const at = (l: Loc) => `line ${l.line}, column ${l.column}`;
