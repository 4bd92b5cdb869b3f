/**
 * The end-to-end demo, driven through the public HTTP API exactly as users would:
 * a data engineer ingests a partner file from SFTP, governance labels it Third-Party, a marketer
 * builds two audiences and activates them to a local S3-compatible store and a LiveRamp-style SFTP,
 * and a third activation is blocked by policy with its lineage. Then the first-party side
 * (`first-party.ts`): the advertiser's people, customer file, talk channel and friend group, pixel,
 * MAT, ad reactions, an ad-response target and an ad group's targeting with its reach.
 * `cdp demo` and the e2e test run it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ApiError, client, type DemoApi } from './client';
import { FirstPartyResult, runFirstPartyDemo } from './first-party';
import { flawedProspectRows, prospectCsvStream } from './generate';
import { startS3Server, TestS3Server } from './local-s3';
import { startSftpServer, TestSftpServer } from './local-sftp';

export interface DemoOptions {
  api: string;
  /** An admin key of the ad account the demo works in. */
  token: string;
  /** Folder for the local SFTP and S3 servers' files. */
  workDir: string;
  prospects?: number;
  /** First-party people to generate (default 3,000); the other first-party sizes follow from it. */
  firstPartyPeople?: number;
  say?: (line: string) => void;
}

export interface ExportedFile {
  name: string;
  path: string;
  rows: number;
  bytes: number;
}

export interface DemoResult {
  datasetId: string;
  /** The dataflow run's rows: read, loaded, refused with row errors. */
  ingested: { input: number; output: number; failed: number };
  audiences: { id: string; name: string; size: number }[];
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; files: ExportedFile[]; localDir: string };
  /** knownHostsFile: the server's host key as OpenSSH's known_hosts line, for `sftp -o UserKnownHostsFile=`. */
  liveRamp: { host: string; port: number; username: string; password: string; knownHostsFile: string; files: ExportedFile[]; localDir: string };
  blocked: { status: number; detail: string; lineage: string[] };
  /** The first-party (Kakao Moment target management) part. */
  firstParty: FirstPartyResult;
  servers: { stop(): Promise<void> };
}


const finished = (x: { status: string }) => x.status === 'success' || x.status === 'failed';

/** The run a `once` schedule starts (at the scheduler's next tick), once it has finished. */
async function scheduledRun(api: DemoApi, runs: string): Promise<any> {
  const list = await api.until<{ items: { status: string }[] }>(runs, (x) => x.items.some(finished));
  return list.items.find(finished);
}

export async function runDemoFlow(opts: DemoOptions): Promise<DemoResult> {
  const say = opts.say ?? (() => undefined);
  const api = client(opts.api, opts.token);
  const prospects = opts.prospects ?? 5000;
  const stamp = Date.now().toString(36);
  // Each demo starts from empty local servers (the exports of an earlier demo would mix in).
  fs.rmSync(opts.workDir, { recursive: true, force: true });
  fs.mkdirSync(opts.workDir, { recursive: true });

  // Local stand-ins for the partner's SFTP, an S3 bucket and LiveRamp's SFTP, all on 127.0.0.1.
  const partner: TestSftpServer = await startSftpServer({ root: path.join(opts.workDir, 'partner-sftp') });
  const liveramp: TestSftpServer = await startSftpServer({ root: path.join(opts.workDir, 'liveramp-sftp') });
  const s3: TestS3Server = await startS3Server({ directory: path.join(opts.workDir, 's3') });
  const knownHostsFile = path.join(opts.workDir, 'liveramp-known_hosts');
  fs.writeFileSync(knownHostsFile, `${liveramp.knownHostsLine}\n`);
  const servers = { stop: async () => void (await Promise.all([partner.stop(), liveramp.stop(), s3.stop()])) };
  try {
    fs.mkdirSync(path.join(partner.root, 'outbox'), { recursive: true });
    fs.mkdirSync(path.join(liveramp.root, 'uploads'), { recursive: true });
    const fileName = `acme_prospects_${stamp}.csv`;
    const file = path.join(partner.root, 'outbox', fileName);
    await pipeline(prospectCsvStream(prospects, 7), fs.createWriteStream(file));
    // As partner files do: a few rows the schema refuses, which the batch reports as row errors.
    const flawed = flawedProspectRows(prospects);
    fs.appendFileSync(file, flawed.map((r) => `${r}\n`).join(''));
    say(`1. generated ${prospects} prospects and ${flawed.length} flawed rows in ${fileName}, served by a local SFTP server on 127.0.0.1:${partner.port}`);

    // Data engineer: namespace, schema, dataset, source connection and dataflow.
    const code = `acme${stamp}`;
    await api.post('/v1/namespaces', { name: `ACME Data partner id ${stamp}`, code, type: 'partner_id', description: 'Pseudonymous id issued by ACME Data' });
    const schema = await api.post('/v1/schemas', {
      title: `ACME prospects ${stamp}`,
      classId: 'xdm:individual-prospect-profile',
      fieldGroupIds: ['fg:person-details', 'fg:personal-contact', 'fg:home-address', 'fg:consumer-demographics'],
      identities: [{ fieldPath: 'partnerID', namespace: code, primary: true }],
    });
    await api.post(`/v1/schemas/${schema.id}/enable-profile`);
    const dataset = await api.post('/v1/datasets', { name: `ACME prospects ${stamp}`, schemaId: schema.id });
    await api.post(`/v1/datasets/${dataset.id}/enable-profile`);
    const connection = await api.post('/v1/connections', {
      name: `ACME SFTP ${stamp}`,
      kind: 'sftp',
      settings: { host: partner.host, port: partner.port, username: partner.user.username, hostKeyFingerprint: partner.hostKeyFingerprint },
      credentials: { password: partner.user.password },
    });
    // Schedules run `once`: a demo's dataflow and activations must not outlive its servers, which
    // live only as long as this process (a daily schedule would fail on every later start).
    const flow = await api.post('/v1/dataflows', {
      name: `ACME once ${stamp}`,
      connectionId: connection.id,
      datasetId: dataset.id,
      folder: '/outbox',
      pattern: 'acme_prospects_*.csv',
      format: { format: 'csv' },
      schedule: { frequency: 'once' },
      backfill: true,
    });
    const run = await scheduledRun(api, `/v1/dataflows/${flow.id}/runs`);
    if (run.status !== 'success') throw new Error(`dataflow run failed: ${run.error}`);
    say(`2. dataflow ingested ${run.counts.output} of ${run.counts.input} rows into dataset ${dataset.id} (${run.counts.failed} row errors)`);

    // Governance: every field of the schema is third-party data; contract label C2 on the email.
    await api.post(`/v1/schemas/${schema.id}/labels`, { labels: ['THIRD_PARTY'], fields: '*' });
    say('3. governance labelled every field of the schema THIRD_PARTY');

    // Marketer: two audiences, evaluated in batch.
    const seoul = await api.post('/v1/audiences', {
      name: `Seoul 30s ${stamp}`,
      rule: 'homeAddress.city = "Seoul" and consumer.age >= 30 and consumer.age < 40',
      status: 'published',
    });
    const travel = await api.post('/v1/audiences', {
      name: `Busan travellers with a car ${stamp}`,
      rule: { and: [{ field: 'homeAddress.city', op: 'in', value: ['Busan', 'Ulsan'] }, { field: 'consumer.interests', op: 'intersects', value: ['travel', 'outdoor'] }, { field: 'consumer.carOwner', op: '=', value: true }] },
      status: 'published',
    });
    const audiences = [];
    for (const a of [seoul, travel]) {
      const ev = await api.post(`/v1/audiences/${a.id}/evaluations`);
      const done = await api.until<any>(`/v1/audiences/${a.id}/evaluations/${ev.id}`, finished);
      if (done.status !== 'success') throw new Error(`evaluation failed: ${done.error}`);
      audiences.push({ id: a.id, name: a.name, size: done.counts.members as number });
      say(`4. audience "${a.name}": ${done.counts.members} prospects (rule: ${a.rule.text})`);
    }

    // Destinations and activations.
    await s3.createBucket('cdp-demo-exports');
    const s3Dest = await api.post('/v1/destinations', {
      name: `Local S3 ${stamp}`,
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'cdp-demo-exports', prefix: 'prospects/', compression: 'gzip', format: 'csv' },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const lrDest = await api.post('/v1/destinations', {
      name: `LiveRamp ${stamp}`,
      kind: 'liveramp',
      settings: { host: liveramp.host, port: liveramp.port, username: liveramp.user.username, hostKeyFingerprint: liveramp.hostKeyFingerprint, org: 'ACMEBRAND', destinationName: 'LiveRamp', instanceId: stamp.toUpperCase() },
      credentials: { password: liveramp.user.password },
    });
    const mapping = {
      identity: { namespace: code, column: 'partner_id' },
      attributes: [
        { field: 'homeAddress.city', column: 'city' },
        { field: 'consumer.ageRange', column: 'age_range' },
      ],
    };
    const toS3 = await api.post('/v1/activations', {
      name: `Seoul 30s to S3 ${stamp}`,
      destinationId: s3Dest.id,
      audienceIds: [seoul.id],
      schedule: { type: 'once' },
      mapping,
      mandatoryFields: ['homeAddress.city'],
    });
    const toLr = await api.post('/v1/activations', {
      name: `Busan travellers to LiveRamp ${stamp}`,
      destinationId: lrDest.id,
      audienceIds: [travel.id],
      schedule: { type: 'once' },
      mapping: { identity: { namespace: code, column: code } },
    });
    const results = [];
    for (const act of [toS3, toLr]) {
      const done = await scheduledRun(api, `/v1/activations/${act.activation.id}/runs`);
      if (done.status !== 'success') throw new Error(`activation run failed: ${done.error}`);
      results.push(done);
    }
    say(`5. exported ${results[0].counts.activated} profiles to s3://cdp-demo-exports/ and ${results[1].counts.activated} to LiveRamp uploads/`);

    // A third activation, saved paused, exports the email too. Then governance labels the email C2:
    // the activation is now blocked (its page in the console shows the violation and the lineage),
    // and turning it on is refused with the lineage.
    const withEmails = await api.post('/v1/activations', {
      name: `Seoul 30s with emails ${stamp}`,
      destinationId: s3Dest.id,
      audienceIds: [seoul.id],
      schedule: { type: 'once' },
      enabled: false,
      mapping: { ...mapping, attributes: [...mapping.attributes, { field: 'personalEmail.address', column: 'email' }] },
    });
    await api.post(`/v1/schemas/${schema.id}/labels`, { labels: ['C2'], fields: ['personalEmail.address'] });
    let blocked: DemoResult['blocked'];
    try {
      await api.patch(`/v1/activations/${withEmails.activation.id}`, { enabled: true });
      throw new Error('the activation exporting C2-labelled emails was not blocked');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const lineage = (err.body.violations ?? []).flatMap((v: any) => v.lineage.map((l: any) => `${v.policy.name}: ${l.path} [${l.label}]`));
      blocked = { status: err.status, detail: err.body.detail, lineage };
    }
    say(`6. blocked by policy (${blocked.status}): ${blocked.lineage[0] ?? blocked.detail}`);

    // The advertiser's own (first-party) data and Kakao-Moment-style targets over it.
    const firstParty = await runFirstPartyDemo({ api, stamp, people: opts.firstPartyPeople ?? 3000, say, step: 7 });

    return {
      datasetId: dataset.id,
      ingested: { input: run.counts.input, output: run.counts.output, failed: run.counts.failed },
      audiences,
      s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket: 'cdp-demo-exports', files: results[0].files, localDir: s3.directory },
      liveRamp: { host: liveramp.host, port: liveramp.port, username: liveramp.user.username, password: liveramp.user.password, knownHostsFile, files: results[1].files, localDir: path.join(liveramp.root, 'uploads') },
      blocked,
      firstParty,
      servers,
    };
  } catch (err) {
    await servers.stop().catch(() => undefined);
    throw err;
  }
}
