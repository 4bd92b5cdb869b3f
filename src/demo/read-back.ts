/**
 * The commands that read the demo's exports back with real clients (the aws CLI, OpenSSH's sftp),
 * as a partner would: printed by `cdp demo`, run by test/demo-read-back.test.ts.
 */
import type { DemoResult } from './flow';

/** Single-quotes a word for sh when it needs it (paths under a folder with spaces). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ReadBackCommands {
  /** Lists the S3 export's objects. */
  s3List: string;
  /** Prints the start of each exported S3 file (gzip CSV). */
  s3Read: string[];
  /** Downloads each LiveRamp file into the current folder (asks for the password). */
  sftpGet: string[];
  sftpPassword: string;
}

export function readBackCommands(result: Pick<DemoResult, 's3' | 'liveRamp'>): ReadBackCommands {
  const { s3, liveRamp } = result;
  // s3rver's fixed local key pair, given on the command line so no AWS profile is needed or used.
  const aws = `AWS_ACCESS_KEY_ID=${s3.accessKeyId} AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey} AWS_DEFAULT_REGION=${s3.region} aws --endpoint-url ${s3.endpoint}`;
  // The demo server's host key is written beside its files: the first connection needs no "yes".
  // ssh splits UserKnownHostsFile at spaces (it takes a list) unless the path is double-quoted.
  const knownHosts = /\s/.test(liveRamp.knownHostsFile) ? `"${liveRamp.knownHostsFile}"` : liveRamp.knownHostsFile;
  const sftp = `sftp -P ${liveRamp.port} -o ${shellWord(`UserKnownHostsFile=${knownHosts}`)}`;
  return {
    s3List: `${aws} s3 ls --recursive s3://${s3.bucket}/`,
    s3Read: s3.files.map((f) => `${aws} s3 cp s3://${s3.bucket}/${f.path} - | gunzip | head -5`),
    sftpGet: liveRamp.files.map((f) => `${sftp} ${liveRamp.username}@${liveRamp.host}:/${f.path.replace(/^\/+/, '')} .`),
    sftpPassword: liveRamp.password,
  };
}
