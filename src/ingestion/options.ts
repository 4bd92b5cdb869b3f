/**
 * Entry checks of batch options (pg-boss attorney.ts style): the HTTP layer, the CLI and dataflows
 * share them, and every refusal names the request field it is about.
 */
import { ruleError } from '../core/errors';
import { FileFormat, multiValueSeparatorProblem } from './records';
import type { BatchOptions } from './types';

/** Entry checks of a file format (a batch's, or a dataflow's under `/format`); `prefix` places the pointers. */
export function checkFileFormat(o: FileFormat, prefix: string): void {
  if (o.delimiter !== undefined && [...o.delimiter].length !== 1) throw ruleError(`${prefix}/delimiter`, 'one-character', 'delimiter must be exactly one character');
  if (o.quote !== undefined && [...o.quote].length !== 1) throw ruleError(`${prefix}/quote`, 'one-character', 'quote must be exactly one character');
  if (o.delimiter !== undefined && /[\r\n]/.test(o.delimiter)) throw ruleError(`${prefix}/delimiter`, 'not-newline', 'delimiter cannot be a line break');
  if (o.multiValueSeparator !== undefined) {
    const problem = multiValueSeparatorProblem(o.multiValueSeparator, o.format, o.delimiter, o.quote);
    if (problem) throw ruleError(`${prefix}/multiValueSeparator`, problem.rule, problem.message);
  }
}

export function checkBatchOptions(o: BatchOptions, prefix: string): void {
  checkFileFormat(o, prefix);
  if (o.errorThreshold !== undefined && !(o.errorThreshold >= 0 && o.errorThreshold <= 100)) {
    throw ruleError(`${prefix}/errorThreshold`, 'range', 'errorThreshold is a percentage between 0 and 100');
  }
}
