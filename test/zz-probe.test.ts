import { execFileSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { startS3Server } from './setup/s3-server';
it('aws cli', async () => {
  const s3 = await startS3Server();
  await s3.createBucket('b');
  const body = randomBytes(20 * 1024 * 1024);
  await s3.client().send(new PutObjectCommand({ Bucket: 'b', Key: 'k/x.csv.gz', Body: body }));
  s3.requests.length = 0;
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' };
  try {
    const out = execFileSync('aws', ['--endpoint-url', s3.endpoint, 's3', 'cp', 's3://b/k/x.csv.gz', '-'], { env, maxBuffer: 1 << 27 });
    console.log('len', out.length, out.equals(body));
  } catch (e) { console.log('ERR', String((e as any).stderr)); }
  console.log(s3.requests.slice(0, 5));
  await s3.stop();
});
