/**
 * Workload 4: an ADID customer file (고객파일) to a counted population.
 *
 * Set-up (not measured): the advertiser's first-party people (src/demo/generate.ts: ADIDs, app user
 * id, 010 mobile, email; about 12 % have a second device) are loaded into a profile-enabled
 * Individual Profile dataset and linked into the universe. The file (bench/generate.ts) holds every
 * ADID of those people — about 40 % of its rows — among random ADIDs nobody knows, 1 % repeated
 * rows and a few invalid ones, up to the size limit.
 *
 * Project, timed as a marketer sees it: `POST /v1/targets/customer-files/uploads` with the file
 * (Content-Length, streamed) → 201 with the de-identification counts; `POST
 * /v1/targets/customer-files {uploadId, name}`; `GET …/{id}` every 20 ms until the population is
 * counted. The counts and the population are checked against what the generator put in the file.
 *
 * Baseline: reading the file and hashing it alone — SHA-256 of every line (the least a
 * de-identification does), same process. Goal: ready in ≤ 60 s at 200 MB, RSS ≤ 300 MB.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { firstPartyCsvStream, firstPartySchemaBody } from '../src/demo/generate';
import { ADID_LINE_BYTES, adidFileStream } from './generate';
import { sampleDatabase, sized, BenchResult, fmtInt, fmtSec, measure, postFile, ratioOf, say, Side, Size, startStack, workDir } from './harness';

/** File size; 200 MB is Kakao's (and our) limit of 200 MiB less a margin. */
export const FILE_BYTES: Record<Size, number> = { small: 4_000_000, full: 200_000_000 };
/** Share of the file's rows that are ADIDs of people in the universe. */
const KNOWN_SHARE = 0.4;
/** ADIDs per generated person (12 % have two devices). */
const ADIDS_PER_PERSON = 1.12;

export async function runCustomerFile(size: Size): Promise<BenchResult[]> {
  const maxBytes = sized('BENCH_FILE_BYTES', FILE_BYTES, size);
  const people = Math.round(((maxBytes / ADID_LINE_BYTES) * KNOWN_SHARE) / ADIDS_PER_PERSON);
  const seed = 11;
  const wd = workDir('customer-file');
  const stack = await startStack();
  const { api } = stack;
  const s = stack.runtime.services;
  try {
    // Set-up: the universe.
    const stamp = Date.now().toString(36);
    const t0 = Date.now();
    const schema = await api.post('/v1/schemas', firstPartySchemaBody(`App members ${stamp}`));
    await api.post(`/v1/schemas/${schema.id}/enable-profile`);
    const dataset = await api.post('/v1/datasets', { name: `App members ${stamp}`, schemaId: schema.id });
    await api.post(`/v1/datasets/${dataset.id}/enable-profile`);
    const members = path.join(wd.dir, 'members.csv');
    await pipeline(firstPartyCsvStream(people, seed), fs.createWriteStream(members));
    const loaded = await postFile(stack.url, stack.token, `/v1/datasets/${dataset.id}/data?format=csv&fileName=app_members.csv`, members);
    if (loaded.status !== 201 || loaded.body.status !== 'success') throw new Error(`set-up load failed: ${JSON.stringify(loaded.body).slice(0, 500)}`);
    fs.rmSync(members);
    const loadMs = Date.now() - t0;
    await s.universe.linkPending(stack.adAccountId);
    const universe = await api.get('/v1/universe');
    if (universe.people !== people) throw new Error(`the universe holds ${universe.people} people, expected ${people}`);
    const setupMs = Date.now() - t0;

    // The file.
    const file = path.join(wd.dir, 'crm_adids.csv');
    const gen = adidFileStream({ maxBytes, people, seed });
    await pipeline(gen.stream, fs.createWriteStream(file));
    const c = gen.counts;
    const bytes = fs.statSync(file).size;
    say(
      `customer-file: ${(bytes / 1e6).toFixed(1)} MB, ${fmtInt(c.rows)} rows (${fmtInt(c.known)} ADIDs of the ${fmtInt(people)} universe people = ${((c.known / c.rows) * 100).toFixed(0)} %, ` +
        `${fmtInt(c.unknown)} unknown, ${fmtInt(c.duplicates)} repeated, ${fmtInt(c.invalid)} invalid); universe set up in ${fmtSec(setupMs)} (load ${fmtSec(loadMs)}, link ${fmtSec(setupMs - loadMs)}) — not measured`,
    );

    // Baseline: read + SHA-256 per line.
    const base = await measure(async () => {
      let lines = 0;
      let rest: Buffer = Buffer.alloc(0);
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
        const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
        let start = 0;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
          createHash('sha256').update(buf.subarray(start, i)).digest();
          lines++;
          start = i + 1;
        }
        rest = buf.subarray(start);
      }
      return lines - 1; // header
    });
    if (base.value !== c.rows) throw new Error(`baseline read ${base.value} rows, expected ${c.rows}`);

    // Project: upload → save → population counted.
    let uploadMs = 0;
    let upload: any;
    const sampled = await sampleDatabase(stack.databaseUrl, () => measure(async () => {
      const t = performance.now();
      const res = await postFile(stack.url, stack.token, '/v1/targets/customer-files/uploads?fileName=crm_adids.csv', file);
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      upload = res.body;
      uploadMs = performance.now() - t;
      const created = await api.post('/v1/targets/customer-files', { uploadId: upload.id, name: `VIP 회원 ${stamp}` });
      return api.poll(`/v1/targets/customer-files/${created.id}`, (x) => !['preparing', 'querying'].includes(x.population.state), { intervalMs: 20 });
    }, 'customer-file'));
    const proj = sampled.value;
    const target = proj.value;
    const counts = upload.counts;
    const expected = { received: c.rows, succeeded: c.known + c.unknown, failed: c.invalid, duplicates: c.duplicates };
    if (JSON.stringify(counts) !== JSON.stringify(expected)) throw new Error(`upload counts ${JSON.stringify(counts)}, generated ${JSON.stringify(expected)}`);
    if (target.population.count !== people) throw new Error(`population ${JSON.stringify(target.population)}, expected ${people} people`);

    const project: Side = { what: 'HTTP upload (de-identification counts) + save + population counted (polled)', ms: proj.ms, amount: c.rows, unit: 'rows', peakRssMb: proj.peakRssMb };
    const baseline: Side = { what: 'read the file + SHA-256 of every line, same process', ms: base.ms, amount: c.rows, unit: 'rows', peakRssMb: base.peakRssMb };
    const atFull = size === 'full';
    return [
      {
        name: 'customer-file',
        workload: 'ADID customer file → population ready',
        size: `${(bytes / 1e6).toFixed(0)} MB, ${fmtInt(c.rows)} ADIDs; universe ${fmtInt(people)} people`,
        project,
        baseline,
        ratioKind: 'time',
        ratio: ratioOf('time', project, baseline),
        goal: '≤ 60 s; RSS ≤ 300 MB',
        checks: [
          { label: `ready ≤ 60 s${atFull ? '' : ` (here at ${(bytes / 1e6).toFixed(0)} MB)`}`, ok: proj.ms <= 60_000, actual: fmtSec(proj.ms) },
          { label: 'RSS ≤ 300 MB', ok: Math.round(proj.peakRssMb) <= 300, actual: `${proj.peakRssMb.toFixed(0)} MB` },
        ],
        details: [
          `upload (counted: ${fmtInt(counts.received)} received, ${fmtInt(counts.succeeded)} succeeded, ${fmtInt(counts.failed)} failed, ${fmtInt(counts.duplicates)} duplicates): ${fmtSec(uploadMs)} (${(bytes / 1e6 / (uploadMs / 1000)).toFixed(1)} MB/s); save → population ${fmtInt(target.population.count)} (${target.status}): ${fmtSec(proj.ms - uploadMs)}`,
          'PostgreSQL during upload and count (backends of the service; sampled every 20 ms):',
          ...sampled.top.map((l) => `  ${l}`),
          `RSS of the service process: ${proj.startRssMb.toFixed(0)} MB before, peak ${proj.peakRssMb.toFixed(0)} MB during upload and count (${fmtSec(proj.peakAtMs)} after the start; the upload ended at ${fmtSec(uploadMs)}); peak JS heap used ${proj.peakHeapMb.toFixed(0)} MB, external ${proj.peakExternalMb.toFixed(0)} MB`,
          ...(atFull ? [] : [`linear extrapolation to 200 MB: ${fmtSec((proj.ms * 200e6) / bytes)} (the fixed costs make it pessimistic)`]),
        ],
      },
    ];
  } finally {
    await stack.close();
    wd.cleanup();
  }
}
