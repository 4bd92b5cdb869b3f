/** Argument checks at the module's entry (the HTTP layer and the CLI share them) and their findings. */
import { FieldError, InvalidRequest, ruleError, UnprocessableRequest } from '../core/errors';

const LIST_IN_MESSAGE = 5;

export function throwAll(errors: FieldError[], status: 400 | 422 = 422): void {
  if (errors.length === 0) return;
  const Kind = status === 400 ? InvalidRequest : UnprocessableRequest;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}, see errors)` : '';
  throw new Kind(errors[0].message + more, { errors });
}

export function preview(items: string[]): string {
  return items.slice(0, LIST_IN_MESSAGE).join(', ') + (items.length > LIST_IN_MESSAGE ? `, … (${items.length} in all)` : '');
}

export function requireText(value: unknown, pointer: string, what: string, max: number, optional = false): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'string' || (!optional && value.trim() === '') || value.length > max) {
    throw ruleError(pointer, 'type', `${what} must be ${optional ? 'a string' : 'a non-empty string'} of at most ${max} characters`, 400);
  }
}

export function requireStringArray(value: unknown, pointer: string, what: string, minItems = 1): string[] {
  if (!Array.isArray(value) || value.length < minItems || value.some((v) => typeof v !== 'string' || v === '')) {
    throw ruleError(pointer, 'type', `${what} must be an array of ${minItems > 0 ? 'at least one ' : ''}non-empty string${minItems > 0 ? '' : 's'}`, 400);
  }
  return value as string[];
}
