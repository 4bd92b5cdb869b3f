/** Service-entry form of the remote path rule (connectors/remote-path.ts): 422 at the field. */
import { remotePathProblem, type RemotePathKind } from '../../connectors/remote-path';
import { ruleError } from './errors';

export type { RemotePathKind };

/** Throws 422 with `pointer` when `value` (a string; anything else is the schema's business) breaks the rule of its kind. */
export function checkRemotePath(value: unknown, pointer: string, kind: RemotePathKind): void {
  if (typeof value !== 'string') return;
  const problem = remotePathProblem(value, kind);
  if (problem) throw ruleError(pointer, problem.rule, problem.message);
}
