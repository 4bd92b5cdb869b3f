/**
 * The one rule for the paths and names we hand to a remote store: S3 prefixes, SFTP folders, file
 * patterns and file names (templates and their expansions). A `.` or `..` segment is resolved by
 * the server — s3rver and SFTP servers map it onto their file system, so `../../x/` climbs out of
 * the store or the partner's folder — and control characters end up in keys, paths and logs.
 *
 * - S3 prefix: a key prefix inside the bucket, so no leading `/` (the lone `/` still means the
 *   whole bucket, as in the connection test's default).
 * - SFTP folder: absolute on the partner's server or relative to the login directory (both are
 *   documented), so a leading `/` is fine; `.` and `..` segments are not.
 * - file pattern: a glob on file names inside the folder, never a path.
 * - file name: exactly one path segment.
 *
 * Pure. Services turn a problem into 422 at the field (src/core/remote-path.ts); connectors refuse
 * such a path too (assertRemotePath), whoever called them.
 */
import { ConnectorError } from './types';

export type RemotePathKind = 's3-prefix' | 'sftp-folder' | 'file-pattern' | 'file-name';

export interface RemotePathProblem {
  rule: 'control-character' | 'dot-segment' | 'leading-slash' | 'one-segment';
  message: string;
}

const WHAT: Record<RemotePathKind, string> = {
  's3-prefix': 'An S3 prefix',
  'sftp-folder': 'An SFTP folder',
  'file-pattern': 'A file pattern',
  'file-name': 'A file name',
};

// C0, DEL and C1 controls: none belongs in a key, a path or a file name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with `value` as a remote path of this kind, or null when nothing is. */
export function remotePathProblem(value: string, kind: RemotePathKind): RemotePathProblem | null {
  const what = WHAT[kind];
  const control = CONTROL.exec(value);
  if (control) {
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return { rule: 'control-character', message: `${what} may not contain control characters (${code} at position ${control.index}); remove it` };
  }
  if ((kind === 'file-pattern' || kind === 'file-name') && /[\\/]/.test(value)) {
    const hint = kind === 'file-pattern' ? 'it matches names inside the folder; put the folder in folder' : 'put folders in the destination\'s prefix or folder';
    return { rule: 'one-segment', message: `${what} is one name, without "/" or "\\": ${hint}` };
  }
  if (kind === 's3-prefix' && value.startsWith('/') && value !== '/') {
    return { rule: 'leading-slash', message: `${what} is a key prefix inside the bucket and starts without "/": write ${JSON.stringify(value.replace(/^\/+/, ''))}` };
  }
  const dot = value.split(/[\\/]/).find((segment) => segment === '.' || segment === '..');
  if (dot !== undefined) {
    return { rule: 'dot-segment', message: `${what} may not contain a "${dot}" segment (the server would resolve it outside the folder): name the folder itself` };
  }
  return null;
}

/** For connectors: refuses a path a caller should have refused already. */
export function assertRemotePath(value: string, kind: RemotePathKind, setting: string): void {
  const problem = remotePathProblem(value, kind);
  if (problem) throw new ConnectorError('protocol', `${setting} ${JSON.stringify(value)} is refused: ${problem.message}`, false);
}

/** For destination writers: a final name (the template expanded) is one plain segment. */
export function assertFinalName(name: string): void {
  const problem = name === '' ? { message: 'it is empty' } : remotePathProblem(name, 'file-name');
  if (problem) throw new ConnectorError('protocol', `file name ${JSON.stringify(name)} is not a plain file name (${problem.message}): check the file name template`, false);
}
