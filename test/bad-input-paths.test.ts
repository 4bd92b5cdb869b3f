/**
 * Remote paths from request bodies — S3 prefixes, SFTP folders, file patterns, file-name templates —
 * never climb out of their folder: `.`/`..` segments, control characters (and a leading `/` on S3)
 * are refused with 422 at the field and nothing is created or changed; the connectors refuse them
 * too when a caller skipped the check. And a destination's marketing actions are governance's: a
 * data engineer cannot undo what governance added to block an activation.
 */
import { remotePathProblem, type RemotePathKind } from '../connectors/remote-path';
import { createS3Source } from '../connectors/s3';
import { createS3Destination } from '../connectors/s3-destination';
import { createSftpSource } from '../connectors/sftp';
import { createSftpDestination } from '../connectors/sftp-destination';
import { ConnectorError } from '../connectors/types';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { ProspectSetup, setUpProspects } from './helpers/prospects';

// Nothing listens on port 9: no request in this file reaches a remote store.
const S3_SPEC = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', bucket: 'bucket', accessKeyId: 'k', secretAccessKey: 's', timeoutMs: 1000 };
const SFTP_SPEC = { host: '127.0.0.1', port: 9, username: 'u', password: 'p', timeoutMs: 1000 };

/** The refused forms, with the rule each breaks as a folder or prefix. */
const DOTS: [string, string][] = [
  ['../x/', 'dot-segment'],
  ['a/../b', 'dot-segment'],
  ['./', 'dot-segment'],
  ['../../../../s3escape/', 'dot-segment'],
];
const CONTROLS: [string, string][] = [
  ['a\u0001b', 'control-character'],
  ['a\nb', 'control-character'],
];
const FOLDER_REFUSED = [...DOTS, ...CONTROLS];
const PREFIX_REFUSED: [string, string][] = [...FOLDER_REFUSED, ['/abs', 'leading-slash']];
/** A pattern or file name is one name: any "/" is refused before its segments are looked at. */
const NAME_REFUSED: [string, string][] = [...DOTS.map(([v]): [string, string] => [v, 'one-segment']), ['/abs', 'one-segment'], ['..', 'dot-segment'], ...CONTROLS];

describe('remotePathProblem', () => {
  const cases: [RemotePathKind, string[], [string, string][]][] = [
    ['s3-prefix', ['', '/', 'acme/', 'acme', 'a/b/c/', 'a..b/', '.hidden/'], PREFIX_REFUSED],
    ['sftp-folder', ['/', '/in', 'in/', 'uploads', '/home/u/drop/', 'a..b'], FOLDER_REFUSED],
    ['file-pattern', ['*', '*.csv', 'prospects_*.csv.gz', '[ab]?.csv'], NAME_REFUSED],
    ['file-name', ['<destination>_segment<audienceId>_<yyyymmddHHMMss>.csv', 'a..b.csv', 'x'], [...NAME_REFUSED, ['a\\b', 'one-segment'], ['.', 'dot-segment']]],
  ];
  it.each(cases)('%s: accepts plain values and refuses the rest with the rule', (kind, accepted, refused) => {
    for (const v of accepted) expect([v, remotePathProblem(v, kind)]).toEqual([v, null]);
    for (const [v, rule] of refused) expect([v, remotePathProblem(v, kind)?.rule]).toEqual([v, rule]);
  });

  it('names the control character and says what to write instead of a leading slash', () => {
    expect(remotePathProblem('a\u0001b', 'sftp-folder')?.message).toMatch(/U\+0001 at position 1/);
    expect(remotePathProblem('/acme/', 's3-prefix')?.message).toMatch(/write "acme\/"/);
  });
});

describe('connectors refuse such paths even when a caller skipped the check', () => {
  const refused = (err: unknown) => {
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ reason: 'protocol', retryable: false });
  };
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };

  it('destination writers, at construction and for final names', async () => {
    for (const [prefix] of DOTS) refused(thrown(() => createS3Destination({ ...S3_SPEC, prefix })));
    for (const [folder] of FOLDER_REFUSED) refused(thrown(() => createSftpDestination({ ...SFTP_SPEC, folder })));
    // Older destinations stored a leading "/" on S3; the writer strips it as before.
    await createS3Destination({ ...S3_SPEC, prefix: '/exports/' }).close();
    const s3 = createS3Destination(S3_SPEC);
    const sftp = createSftpDestination(SFTP_SPEC);
    for (const name of ['..', '.', 'a/b.csv', 'a\\b.csv', 'a\nb.csv']) {
      refused(await s3.openPart(name).catch((e) => e));
      refused(await sftp.exists(name).catch((e) => e));
    }
    await s3.close();
    await sftp.close();
  });

  it('sources, when listing and in connection tests', async () => {
    const s3 = createS3Source(S3_SPEC);
    const sftp = createSftpSource(SFTP_SPEC);
    for (const [folder] of FOLDER_REFUSED) {
      refused(await s3.list(folder).catch((e) => e));
      refused(await sftp.list(folder).catch((e) => e));
      expect(await s3.test(folder)).toMatchObject({ ok: false, reason: 'protocol' });
      expect(await sftp.test(folder)).toMatchObject({ ok: false, reason: 'protocol' });
    }
    refused(await s3.list('in/', { pattern: '../*.csv' }).catch((e) => e));
    refused(await sftp.list('/in', { pattern: 'a\nb' }).catch((e) => e));
    await s3.close();
    await sftp.close();
  });
});

let api: TestApi;
let p: ProspectSetup;
let engineer: string;
let governance: string;
let marketer: string;
let s3Connection: string;
let sftpConnection: string;

beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Paths');
  engineer = p.token;
  governance = await api.keyFor('governance');
  marketer = await api.keyFor('marketer');
  const connection = async (kind: 's3' | 'sftp') => {
    const body =
      kind === 's3'
        ? { name: 'Partner S3', kind, settings: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', bucket: 'bucket' }, credentials: { accessKeyId: 'k', secretAccessKey: 's' } }
        : { name: 'Partner SFTP', kind, settings: { host: '127.0.0.1', port: 9, username: 'u' }, credentials: { password: 'p' } };
    return (await api.as(engineer).post('/v1/connections', body).expect(201)).body.id as string;
  };
  s3Connection = await connection('s3');
  sftpConnection = await connection('sftp');
}, 60_000);
afterAll(async () => api.close());

/** 422 at exactly this pointer with this rule. */
function expectRefused(res: { status: number; headers: Record<string, string>; body: any }, pointer: string, rule: string, what: string): void {
  expect([what, res.status]).toEqual([what, 422]);
  const problem = expectProblem(res as never, 422);
  expect([what, problem.errors]).toEqual([what, [expect.objectContaining({ pointer, rule })]]);
}

const flow = (connectionId: string, extra: Record<string, unknown>) => ({
  name: `Flow ${Math.random().toString(36).slice(2)}`,
  connectionId,
  datasetId: p.datasetId,
  folder: 'in/',
  format: { format: 'csv' },
  schedule: { frequency: 'day' },
  ...extra,
});

describe('dataflows and connection tests', () => {
  it('refuse S3 prefixes and SFTP folders that leave the folder, creating nothing', async () => {
    const as = api.as(engineer);
    for (const [folder, rule] of PREFIX_REFUSED) {
      expectRefused(await as.post('/v1/dataflows', flow(s3Connection, { folder })), '/folder', rule, `s3 ${JSON.stringify(folder)}`);
      expectRefused(await as.post(`/v1/connections/${s3Connection}/test`, { folder }), '/folder', rule, `s3 test ${JSON.stringify(folder)}`);
    }
    for (const [folder, rule] of FOLDER_REFUSED) {
      expectRefused(await as.post('/v1/dataflows', flow(sftpConnection, { folder })), '/folder', rule, `sftp ${JSON.stringify(folder)}`);
      expectRefused(await as.post(`/v1/connections/${sftpConnection}/test`, { folder }), '/folder', rule, `sftp test ${JSON.stringify(folder)}`);
    }
    for (const [pattern, rule] of NAME_REFUSED) {
      expectRefused(await as.post('/v1/dataflows', flow(sftpConnection, { pattern })), '/pattern', rule, `sftp pattern ${JSON.stringify(pattern)}`);
      expectRefused(await as.post('/v1/dataflows', flow(s3Connection, { pattern })), '/pattern', rule, `s3 pattern ${JSON.stringify(pattern)}`);
    }
    expect((await as.get('/v1/dataflows').expect(200)).body.items).toEqual([]);
    // SFTP folders are absolute on the partner's server or under the login directory; "/" is the whole bucket on S3.
    await as.post('/v1/dataflows', flow(sftpConnection, { folder: '/home/partner/drop', pattern: 'prospects_*.csv' })).expect(201);
    await as.post('/v1/dataflows', flow(s3Connection, { folder: '/' })).expect(201);
  });

  it('refuse the same in an edit, changing nothing', async () => {
    const as = api.as(engineer);
    const s3Flow = (await as.post('/v1/dataflows', flow(s3Connection, { folder: 'acme/' })).expect(201)).body;
    const sftpFlow = (await as.post('/v1/dataflows', flow(sftpConnection, { folder: '/in' })).expect(201)).body;
    for (const [folder, rule] of PREFIX_REFUSED) expectRefused(await as.patch(`/v1/dataflows/${s3Flow.id}`, { folder }), '/folder', rule, `s3 ${JSON.stringify(folder)}`);
    for (const [folder, rule] of FOLDER_REFUSED) expectRefused(await as.patch(`/v1/dataflows/${sftpFlow.id}`, { folder }), '/folder', rule, `sftp ${JSON.stringify(folder)}`);
    for (const [pattern, rule] of NAME_REFUSED) expectRefused(await as.patch(`/v1/dataflows/${sftpFlow.id}`, { pattern }), '/pattern', rule, `pattern ${JSON.stringify(pattern)}`);
    expect((await as.get(`/v1/dataflows/${s3Flow.id}`).expect(200)).body).toEqual(s3Flow);
    expect((await as.get(`/v1/dataflows/${sftpFlow.id}`).expect(200)).body).toEqual(sftpFlow);
  });
});

const s3Destination = (settings: Record<string, unknown> = {}) => ({
  name: `S3 ${Math.random().toString(36).slice(2)}`,
  kind: 's3',
  settings: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', bucket: 'exports', ...settings },
  credentials: { accessKeyId: 'k', secretAccessKey: 's' },
});
const liveRamp = (settings: Record<string, unknown> = {}) => ({
  name: `LiveRamp ${Math.random().toString(36).slice(2)}`,
  kind: 'liveramp',
  settings: { host: '127.0.0.1', port: 9, username: 'u', org: 'ACME', instanceId: 'INST01', ...settings },
  credentials: { password: 'p' },
});

describe('destinations', () => {
  it('refuse prefixes, folders and file-name templates that leave the folder, creating nothing', async () => {
    const as = api.as(engineer);
    for (const [prefix, rule] of PREFIX_REFUSED) expectRefused(await as.post('/v1/destinations', s3Destination({ prefix })), '/settings/prefix', rule, `prefix ${JSON.stringify(prefix)}`);
    for (const [folder, rule] of FOLDER_REFUSED) expectRefused(await as.post('/v1/destinations', liveRamp({ folder })), '/settings/folder', rule, `folder ${JSON.stringify(folder)}`);
    for (const [template, rule] of NAME_REFUSED) {
      expectRefused(await as.post('/v1/destinations', s3Destination({ fileNameTemplate: template })), '/settings/fileNameTemplate', rule, `template ${JSON.stringify(template)}`);
      expectRefused(await as.post('/v1/destinations', s3Destination({ customText: template })), '/settings/customText', rule, `customText ${JSON.stringify(template)}`);
    }
    expect((await as.get('/v1/destinations').expect(200)).body.items).toEqual([]);
    await as.post('/v1/destinations', s3Destination({ prefix: 'acme/exports/', fileNameTemplate: '<audienceName>_<yyyymmddHHMMss>.csv', customText: 'v2' })).expect(201);
    await as.post('/v1/destinations', liveRamp({ folder: '/home/acme/uploads' })).expect(201);
  });

  it('refuse the same in an edit, changing nothing', async () => {
    const as = api.as(engineer);
    const s3 = (await as.post('/v1/destinations', s3Destination({ prefix: 'acme/' })).expect(201)).body;
    const lr = (await as.post('/v1/destinations', liveRamp()).expect(201)).body;
    for (const [prefix, rule] of PREFIX_REFUSED) expectRefused(await as.patch(`/v1/destinations/${s3.id}`, { settings: { prefix } }), '/settings/prefix', rule, `prefix ${JSON.stringify(prefix)}`);
    for (const [template, rule] of NAME_REFUSED) {
      expectRefused(await as.patch(`/v1/destinations/${s3.id}`, { settings: { fileNameTemplate: template } }), '/settings/fileNameTemplate', rule, `template ${JSON.stringify(template)}`);
    }
    for (const [folder, rule] of FOLDER_REFUSED) expectRefused(await as.patch(`/v1/destinations/${lr.id}`, { settings: { folder } }), '/settings/folder', rule, `folder ${JSON.stringify(folder)}`);
    expect((await as.get(`/v1/destinations/${s3.id}`).expect(200)).body).toEqual(s3);
    expect((await as.get(`/v1/destinations/${lr.id}`).expect(200)).body).toEqual(lr);
  });
});

describe("a destination's marketing actions", () => {
  it('cannot be undone by a data engineer after governance added one that blocks an activation', async () => {
    const gov = api.as(governance);
    const eng = api.as(engineer);
    await gov.post('/v1/labels', { code: 'NO_EMAIL', friendlyName: 'No email targeting' }).expect(201);
    await gov.put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['NO_EMAIL'] }).expect(200);
    await gov.post('/v1/policies', { name: 'No email targeting of NO_EMAIL data', status: 'ENABLED', marketingActions: ['emailTargeting'], deny: { label: 'NO_EMAIL' } }).expect(201);
    const audience = (await api.as(marketer).post('/v1/audiences', { name: 'Seoul', rule: 'homeAddress.city = "Seoul"' }).expect(201)).body;
    const destination = (await eng.post('/v1/destinations', s3Destination()).expect(201)).body;
    const governed = (await gov.patch(`/v1/destinations/${destination.id}`, { marketingActions: ['emailTargeting'] }).expect(200)).body;
    expect(governed.marketingActions).toEqual(expect.arrayContaining(['exportToThirdParty', 'emailTargeting']));
    const activation = { name: 'Seoul by email', destinationId: destination.id, audienceIds: [audience.id], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'id' } } };
    const blocked = expectProblem(await api.as(marketer).post('/v1/activations', activation), 422);
    expect(blocked.type).toMatch(/policy-violation$/);

    for (const marketingActions of [[], ['exportToThirdParty']]) {
      const refused = expectProblem(await eng.patch(`/v1/destinations/${destination.id}`, { marketingActions }), 403);
      expect(refused.detail).toMatch(/Only governance or admin may set a destination's marketing actions/);
      expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/marketingActions', rule: 'destinations.govern' })]);
    }
    expect((await eng.get(`/v1/destinations/${destination.id}`).expect(200)).body).toEqual(governed);
    expect(expectProblem(await api.as(marketer).post('/v1/activations', activation), 422).type).toMatch(/policy-violation$/);

    // The same edit without marketing actions is the engineer's to make; the actions stay.
    const renamed = (await eng.patch(`/v1/destinations/${destination.id}`, { name: 'Renamed S3' }).expect(200)).body;
    expect(renamed.marketingActions).toEqual(governed.marketingActions);
    // Creating one with marketing actions is governance's too: nothing is created.
    const before = (await eng.get('/v1/destinations').expect(200)).body;
    const create = expectProblem(await eng.post('/v1/destinations', { ...s3Destination(), marketingActions: ['exportToThirdParty'] }), 403);
    expect(create.errors).toEqual([expect.objectContaining({ pointer: '/marketingActions' })]);
    expect((await eng.get('/v1/destinations').expect(200)).body).toEqual(before);
    expect((await gov.post('/v1/destinations', { ...s3Destination(), marketingActions: ['emailTargeting'] }).expect(201)).body.marketingActions).toContain('emailTargeting');
  });
});
