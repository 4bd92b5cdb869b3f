/**
 * The built `cdp` as a client of a running service, run as a data engineer's script runs it: a
 * child process with pipes (no terminal), configured by `cdp login` or CDP_URL / CDP_API_KEY.
 * Results on stdout, progress on stderr, the documented exit codes (src/cli/exit.ts).
 * `npm test` builds dist/ before jest runs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';
import { freePort } from './setup/servers';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

const CLI = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');

let api: TestApi;
let p: ProspectSetup;
let home: string;

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  api = await startTestApi();
  p = await setUpProspects(api, 'Cli');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-client-'));
});
afterAll(async () => {
  await api?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cdp …` with stdin fed `input` (a pipe, as in a script) and a HOME of the test's own. */
function cdp(args: string[], opts: { env?: Record<string, string>; input?: string; configHome?: string } = {}): Promise<Ran> {
  const configHome = opts.configHome ?? path.join(home, 'config');
  return new Promise((resolve, reject) => {
    const child = spawn('node', [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: configHome, LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(opts.input ?? '');
  });
}

/** The service and a data engineer's key through the environment (no login file). */
const asEngineer = () => ({ CDP_URL: api.url, CDP_API_KEY: p.token });

let files = 0;
function writeFile(body: string, ext = 'csv'): string {
  const file = path.join(home, `upload-${++files}.${ext}`);
  fs.writeFileSync(file, body);
  return file;
}

/** `n` good prospects, ids `<tag>0…`, in Seoul; `bad` more rows whose age is not a number. */
function prospects(tag: string, n: number, bad = 0): string {
  const good = Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, city: 'Seoul', age: 20 + (i % 50), firstName: `Kim${tag}${i}` }));
  const wrong = Array.from({ length: bad }, (_, i) => ({ id: `${tag}X${i}`, city: 'Busan', age: 'old' }));
  return prospectCsv([...good, ...wrong]);
}

async function apiUpload(tag: string, n: number, bad = 0): Promise<string> {
  const res = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=50`).set('Content-Type', 'text/csv').send(prospects(tag, n, bad)).expect(201);
  return res.body.id;
}

const field = (out: string, name: string) => new RegExp(`^${name}\\s+(.+)$`, 'm').exec(out)?.[1];

describe('cdp login', () => {
  it('checks the key, saves it in a 0600 file of a 0700 folder without printing it, and later commands use it', async () => {
    const configHome = path.join(home, 'login-config');
    const loggedIn = await cdp(['login', '--url', `${api.url}/`], { input: `${p.token}\n`, configHome });
    expect(loggedIn).toMatchObject({ code: 0 });
    expect(loggedIn.stdout).toContain(`logged in to ${api.url} as data_engineer of ad account`);
    const file = path.join(configHome, 'cdp', 'credentials.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ url: api.url, apiKey: p.token });
    expect(loggedIn.stdout + loggedIn.stderr).not.toContain(p.token);

    // No CDP_URL / CDP_API_KEY: the saved ones are used.
    await apiUpload('LOGIN', 3);
    const estimated = await cdp(['audiences', 'estimate', 'consumer.age >= 0'], { configHome });
    expect(estimated).toMatchObject({ code: 0, stderr: '' });
    expect(Number(field(estimated.stdout, 'size'))).toBeGreaterThanOrEqual(3);

    // A wrong key is refused (exit 3) and leaves the saved one as it was.
    const wrong = await cdp(['login', '--url', api.url], { input: 'cdp_000000000000000000000000.nope\n', configHome });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^error: Authentication required: /m);
    expect(wrong.stdout + wrong.stderr).not.toContain('cdp_000000000000000000000000.nope');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).apiKey).toBe(p.token);

    // The environment wins over the file: a revoked-looking key from CDP_API_KEY is the one sent.
    const envWins = await cdp(['audiences', 'estimate', 'consumer.age >= 0'], { configHome, env: { CDP_API_KEY: 'cdp_000000000000000000000000.nope' } });
    expect(envWins.code).toBe(3);
    expect(envWins.stderr).toContain('the key comes from CDP_API_KEY');

    const out = await cdp(['logout'], { configHome });
    expect(out).toMatchObject({ code: 0 });
    expect(fs.existsSync(file)).toBe(false);
    const notConfigured = await cdp(['audiences', 'estimate', 'consumer.age >= 0'], { configHome });
    expect(notConfigured.code).toBe(2);
    expect(notConfigured.stderr).toBe('error: no service configured: run `cdp login`, or set CDP_URL and CDP_API_KEY\n');
  });

  it('never sends the saved key to another URL given by CDP_URL', async () => {
    const configHome = path.join(home, 'other-url-config');
    expect((await cdp(['login', '--url', api.url], { input: p.token, configHome })).code).toBe(0);
    const elsewhere = await cdp(['audiences', 'estimate', 'consumer.age >= 0'], { configHome, env: { CDP_URL: 'http://127.0.0.1:9' } });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`the key saved by \`cdp login\` is for ${api.url}`);
  });
});

describe('cdp datasets upload', () => {
  it('streams a CSV with a bad row: progress on stderr, input / output / failed on stdout, exit 0', async () => {
    const file = writeFile(prospects('UP', 40, 1));
    const ran = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId], { env: asEngineer() });
    expect(ran.code).toBe(0);
    expect(field(ran.stdout, 'status')).toBe('success');
    expect([field(ran.stdout, 'input'), field(ran.stdout, 'output'), field(ran.stdout, 'failed')]).toEqual(['41', '40', '1']);
    const batchId = field(ran.stdout, 'batch')!;
    expect(batchId).toMatch(/^batch_/);
    // Plain progress lines (no terminal): the bar's last state, then what was sent.
    expect(ran.stderr).toMatch(/^upload 100% \| [\d.]+ KB \/ [\d.]+ KB \| .+\/s \| 41 rows \| [\d,]+ rows\/s$/m);
    expect(ran.stderr).toMatch(/^… sent [\d.]+ KB \(~41 rows\) in [\d.]+ s; waiting for the service to complete the batch$/m);
    expect(ran.stderr).toContain(`1 rows refused: cdp batches errors ${batchId}`);
    expect(ran.stderr).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    const batch = await api.as(p.token).get(`/v1/batches/${batchId}`).expect(200);
    expect(batch.body).toMatchObject({ status: 'success', counts: { input: 41, output: 40, failed: 1 }, files: [{ name: path.basename(file) }] });
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/UP39`).expect(200);
  });

  it('--json prints the batch; --mapping renames columns', async () => {
    const file = writeFile(prospects('MAP', 5).replace(/^partnerID,/, 'PID,'));
    const ran = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId, '--mapping', '{"PID":"partnerID"}', '--json'], { env: asEngineer() });
    expect(ran.code).toBe(0);
    const batch = JSON.parse(ran.stdout);
    expect(batch).toMatchObject({ id: expect.stringMatching(/^batch_/), datasetId: p.datasetId, status: 'success', mapping: { PID: 'partnerID' }, counts: { input: 5, output: 5, failed: 0 } });
  });

  it('exits 1 with the counts and the reason when the batch failed', async () => {
    const file = writeFile(prospects('FAIL', 2, 8));
    const ran = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId], { env: asEngineer() });
    expect(ran.code).toBe(1);
    expect(field(ran.stdout, 'status')).toBe('failed');
    expect([field(ran.stdout, 'input'), field(ran.stdout, 'failed')]).toEqual(['10', '8']);
    expect(ran.stderr).toMatch(new RegExp(`^error: batch ${field(ran.stdout, 'batch')} failed: .+`, 'm'));
  });

  it('refuses a wrong command line with exit 2 before sending anything', async () => {
    const file = writeFile(prospects('USAGE', 1));
    const badJson = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId, '--mapping', '{PID'], { env: asEngineer() });
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^error: --mapping is not valid JSON/);
    const missing = await cdp(['datasets', 'upload', path.join(home, 'nope.csv'), '--dataset', p.datasetId], { env: asEngineer() });
    expect(missing).toMatchObject({ code: 2, stderr: `error: cannot read ${path.join(home, 'nope.csv')}: no such file\n` });
    const noDataset = await cdp(['datasets', 'upload', file], { env: asEngineer() });
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain("required option '--dataset <id>' not specified");
    const badFormat = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId, '--format', 'xml'], { env: asEngineer() });
    expect(badFormat.code).toBe(2);
    const batches = await api.as(p.token).get(`/v1/datasets/${p.datasetId}/batches`).expect(200);
    expect(JSON.stringify(batches.body)).not.toContain('USAGE');
  });

  it('names the problem of a refused upload with exit 3, and an unreachable service with exit 4', async () => {
    const file = writeFile(prospects('REF', 1));
    const notFound = await cdp(['datasets', 'upload', file, '--dataset', 'ds_doesnotexist'], { env: asEngineer() });
    expect(notFound.code).toBe(3);
    expect(notFound.stderr).toMatch(/^error: Resource not found: Dataset ds_doesnotexist not found$/m);
    const marketer = await api.keyFor('marketer');
    const forbidden = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId], { env: { CDP_URL: api.url, CDP_API_KEY: marketer } });
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/^error: Your role may not do this: Role marketer may not POST \/v1\/datasets\/:id\/data \(needs datasets.write\)$/m);
    const port = await freePort();
    const down = await cdp(['datasets', 'upload', file, '--dataset', p.datasetId], { env: { CDP_URL: `http://127.0.0.1:${port}`, CDP_API_KEY: p.token } });
    expect(down.code).toBe(4);
    expect(down.stderr).toBe(`error: cannot reach the service at http://127.0.0.1:${port} (ECONNREFUSED): is it running? (cdp start)\n`);
  });
});

describe('cdp batches errors', () => {
  it('writes the row errors as CSV (default) or JSON to stdout', async () => {
    const batchId = await apiUpload('ERR', 3, 2);
    const csv = await cdp(['batches', 'errors', batchId], { env: asEngineer() });
    expect(csv).toMatchObject({ code: 0, stderr: '' });
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,row,field,rule,message,rawValue');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('consumer.age');
    const json = await cdp(['batches', 'errors', batchId, '--format', 'json'], { env: asEngineer() });
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ field: 'consumer.age', row: expect.any(Number), rawValue: 'old' });
    const unknown = await cdp(['batches', 'errors', 'batch_doesnotexist'], { env: asEngineer() });
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toBe('');
  });
});

describe('cdp audiences estimate and cdp profiles get', () => {
  it('estimates a rule as lines or JSON, and names the field and rule of a refused one (exit 3)', async () => {
    await apiUpload('EST', 10);
    const rule = 'homeAddress.city = "Seoul" and person.name.firstName = "KimEST7"';
    const lines = await cdp(['audiences', 'estimate', rule], { env: asEngineer() });
    expect(lines).toMatchObject({ code: 0, stderr: '' });
    expect(field(lines.stdout, 'size')).toBe('1');
    expect(field(lines.stdout, 'datasets')).toBe(p.datasetId);
    const json = await cdp(['audiences', 'estimate', rule, '--json', '--sample'], { env: asEngineer() });
    expect(JSON.parse(json.stdout)).toMatchObject({ size: 1, datasets: [p.datasetId], sample: [{ identity: 'EST7' }] });

    const refused = await cdp(['audiences', 'estimate', 'homeAddress.town = "Seoul"'], { env: asEngineer() });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: [^:]+: .*unknown field "homeAddress\.town".* \(\/rule[^ ]* unknown-field\)\n$/);
  });

  it('shows a profile with where each attribute came from, or JSON; an unknown one exits 3', async () => {
    const batchId = await apiUpload('PRO', 2);
    const lines = await cdp(['profiles', 'get', p.namespaceCode, 'PRO1'], { env: asEngineer() });
    expect(lines.code).toBe(0);
    expect(field(lines.stdout, 'profile')).toBe(`${p.namespaceCode}  PRO1`);
    expect(field(lines.stdout, 'homeAddress.city')).toBe(`Seoul  (Prospects Cli, ${batchId})`);
    expect(field(lines.stdout, 'person.name.firstName')).toBe(`KimPRO1  (Prospects Cli, ${batchId})`);
    const json = await cdp(['profiles', 'get', p.namespaceCode, 'PRO1', '--json'], { env: asEngineer() });
    expect(JSON.parse(json.stdout)).toMatchObject({ identity: 'PRO1', attributes: { homeAddress: { city: 'Seoul' } } });
    const missing = await cdp(['profiles', 'get', p.namespaceCode, 'NOBODY'], { env: asEngineer() });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(`error: Resource not found: No prospect profile ${p.namespaceCode}:NOBODY\n`);
  });
});

describe('cdp dataflows run and cdp activations run', () => {
  let sftp: TestSftpServer;
  let s3: TestS3Server;
  beforeAll(async () => {
    sftp = await startSftpServer();
    s3 = await startS3Server();
    await s3.createBucket('cli-exports');
  });
  afterAll(async () => {
    await sftp?.stop();
    await s3?.stop();
  });

  async function sftpDataflow(folder: string) {
    const as = api.as(p.token);
    const conn = await as
      .post('/v1/connections', {
        name: `CLI SFTP ${folder}`,
        kind: 'sftp',
        settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
        credentials: { password: sftp.user.password },
      })
      .expect(201);
    const flow = await as
      .post('/v1/dataflows', {
        name: `CLI flow ${folder}`,
        connectionId: conn.body.id,
        datasetId: p.datasetId,
        folder: `/${folder}`,
        pattern: '*.csv',
        format: { format: 'csv' },
        schedule: { frequency: 'day', interval: 1 },
        backfill: true,
      })
      .expect(201);
    return flow.body.id as string;
  }

  it('dataflows run --watch shows the run live on stderr until it succeeds and prints it on stdout', async () => {
    fs.mkdirSync(path.join(sftp.root, 'cli-drop'), { recursive: true });
    fs.writeFileSync(path.join(sftp.root, 'cli-drop', 'partner_1.csv'), prospects('FLOW', 7));
    const flowId = await sftpDataflow('cli-drop');
    const ran = await cdp(['dataflows', 'run', flowId, '--watch'], { env: asEngineer() });
    expect(ran.code).toBe(0);
    expect(field(ran.stdout, 'status')).toBe('success');
    expect(field(ran.stdout, 'files')).toBe('found 1, ingested 1, failed 0');
    expect(field(ran.stdout, 'rows')).toBe('input 7, output 7, failed 0');
    const runId = field(ran.stdout, 'run')!;
    expect(ran.stderr).toMatch(new RegExp(`^dataflow run ${runId}: (queued|processing)`, 'm'));
    expect(ran.stderr).toMatch(new RegExp(`^dataflow run ${runId}: success — files 1/1 ingested, 0 failed; rows 7 loaded, 0 refused$`, 'm'));
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/FLOW6`).expect(200);

    // Without --watch: the queued run, exit 0.
    const queued = await cdp(['dataflows', 'run', flowId, '--json'], { env: asEngineer() });
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ id: expect.any(String), dataflowId: flowId, status: 'queued', trigger: 'manual' });
  });

  it('dataflows run --watch exits 1 when the run failed', async () => {
    fs.mkdirSync(path.join(sftp.root, 'cli-bad'), { recursive: true });
    fs.writeFileSync(path.join(sftp.root, 'cli-bad', 'partner_bad.csv'), prospects('FLOWBAD', 1, 9));
    const flowId = await sftpDataflow('cli-bad');
    const ran = await cdp(['dataflows', 'run', flowId, '--watch', '--interval', '0.2'], { env: asEngineer() });
    expect(ran.code).toBe(1);
    expect(field(ran.stdout, 'status')).toBe('failed');
    expect(ran.stderr).toMatch(/^error: dataflow run \S+ failed: .+$/m);
  });

  it('activations run --watch exports to S3 and prints the run with its files', async () => {
    await apiUpload('ACT', 6);
    const marketer = await api.keyFor('marketer');
    const dest = await api
      .as(api.adminToken)
      .post('/v1/destinations', {
        name: 'CLI S3',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'cli-exports', prefix: 'cli/', compression: 'none' },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      })
      .expect(201);
    const audience = await api.as(marketer).post('/v1/audiences', { name: 'CLI ACT', rule: 'person.name.firstName = "KimACT3"', status: 'published' }).expect(201);
    const ev = await api.as(marketer).post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
    await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${audience.body.id}/evaluations/${ev.body.id}`)).body.status === 'success', 'the evaluation');
    const activation = await api
      .as(marketer)
      .post('/v1/activations', {
        name: 'CLI ACT to S3',
        destinationId: dest.body.id,
        audienceIds: [audience.body.id],
        schedule: { type: 'daily', at: '00:00' },
        mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } },
      })
      .expect(201);
    const ran = await cdp(['activations', 'run', activation.body.activation.id, '--watch'], { env: { CDP_URL: api.url, CDP_API_KEY: marketer } });
    expect(ran.code).toBe(0);
    expect(field(ran.stdout, 'status')).toBe('success');
    expect(field(ran.stdout, 'activated')).toBe('1');
    expect(field(ran.stdout, 'file')).toMatch(/^cli\/\S+  1 rows$/);
    expect(ran.stderr).toMatch(/^activation run \S+: success — 1 activated, 1 files$/m);
  });
});

describe('cdp usage', () => {
  it('exits 2 on an unknown command or option, 0 for --help', async () => {
    expect((await cdp(['datasets', 'uplaod'])).code).toBe(2);
    expect((await cdp(['audiences', 'estimate', 'x', '--nope'])).code).toBe(2);
    const help = await cdp(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Client (of a running service');
    expect(help.stdout).toMatch(/datasets\s/);
  });
});
