/**
 * Helper process of the benchmarks: serves a folder with the local SFTP server or the local
 * S3-compatible store (src/demo/local-*.ts) on 127.0.0.1, so their encryption and file writes do
 * not run on the service's event loop. Sends its address and credentials to the parent over IPC;
 * stops on the message 'stop'.
 *
 *   (forked by bench/harness.ts) node dist/bench/servers.js sftp|s3 <folder>
 */
import fs from 'node:fs';
import { startS3Server } from '../src/demo/local-s3';
import { startSftpServer } from '../src/demo/local-sftp';
import { quietKnownWarnings } from './harness';

async function main(): Promise<void> {
  quietKnownWarnings();
  const [kind, root] = process.argv.slice(2);
  fs.mkdirSync(root, { recursive: true });
  let stop: () => Promise<void>;
  if (kind === 'sftp') {
    const s = await startSftpServer({ root });
    stop = s.stop;
    process.send!({ host: s.host, port: s.port, root: s.root, username: s.user.username, password: s.user.password, hostKeyFingerprint: s.hostKeyFingerprint });
  } else if (kind === 's3') {
    const s = await startS3Server({ directory: root });
    stop = s.stop;
    await s.createBucket('cdp-bench');
    process.send!({ endpoint: s.endpoint, region: s.region, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, directory: s.directory, bucket: 'cdp-bench' });
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  process.on('message', (m) => {
    if (m === 'stop') void stop().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
