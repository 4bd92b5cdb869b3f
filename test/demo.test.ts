/**
 * The README's demo flow as an end-to-end test: partner file over SFTP → dataflow → Third-Party
 * labels → two audiences → S3 and LiveRamp exports → a third activation blocked with lineage.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runDemoFlow, DemoResult } from '../src/demo/flow';
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let result: DemoResult;
let workDir: string;

beforeAll(async () => {
  api = await startTestApi();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-'));
  result = await runDemoFlow({ api: api.url, token: api.adminToken, workDir, prospects: 2000 });
}, 120_000);
afterAll(async () => {
  await result?.servers.stop();
  await api.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('cdp demo flow', () => {
  it('ingests the partner file and builds two non-empty audiences', async () => {
    const ds = await api.as(api.adminToken).get(`/v1/datasets/${result.datasetId}`).expect(200);
    expect(ds.body.counts.currentRecords).toBe(2000);
    expect(result.audiences).toHaveLength(2);
    for (const a of result.audiences) expect(a.size).toBeGreaterThan(0);
  });

  it('exports the first audience to S3 as gzip CSV with every member once', async () => {
    const rows = result.s3.files.flatMap((f) => {
      const file = path.join(result.s3.localDir, result.s3.bucket, `${f.path}._S3rver_object`);
      return gunzipSync(fs.readFileSync(file)).toString('utf8').trim().split('\n').slice(1);
    });
    expect(rows.length).toBe(result.audiences[0].size);
    expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(rows.length);
    expect(rows.every((r) => r.includes(',Seoul,'))).toBe(true);
  });

  it('exports the second audience to the LiveRamp SFTP with the documented name and header', () => {
    const [file] = result.liveRamp.files;
    expect(file.name).toMatch(/^ACMEBRAND_LiveRamp_[A-Z0-9]+_\d{8}_\d{6}\.csv$/);
    const lines = fs.readFileSync(path.join(result.liveRamp.localDir, file.name), 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^acme\w+,acme\w+_aud_\w+$/);
    expect(lines.length - 1).toBe(result.audiences[1].size);
    expect(lines.slice(1).every((l) => l.endsWith(',active'))).toBe(true);
  });

  it('blocks the third activation with its lineage', () => {
    expect(result.blocked.status).toBe(422);
    expect(result.blocked.lineage.join('\n')).toMatch(/field personalEmail\.address → audience "Seoul 30s .*" → activation .* → destination "Local S3/);
  });
});
