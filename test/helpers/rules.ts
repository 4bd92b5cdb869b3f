/** Small builders and the 422 reader shared by the rule-language suites. */
import { CdpError, FieldError } from '../../src/core/errors';

/** The FieldErrors of a 422 thrown by fn (fails the test when fn does not throw one). */
export function problemsOf(fn: () => unknown): FieldError[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CdpError);
    const e = err as CdpError;
    expect(e.status).toBe(422);
    expect(e.code).toBe('rule-violated');
    return e.extras.errors ?? [];
  }
  throw new Error('expected a 422 UnprocessableRequest');
}

export const cond = (field: string, op: string, value?: unknown) => (value === undefined ? { type: 'condition', field, op } : { type: 'condition', field, op, value });
export const str = (value: string) => ({ type: 'string', value });
export const num = (value: number) => ({ type: 'number', value });
