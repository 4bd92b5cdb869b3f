/**
 * Workload 6: a lookalike (유사타겟) build over the universe.
 *
 * Set-up (not measured), as test/lookalikes.test.ts plants it but at scale: P people loaded into a
 * profile-enabled Individual Profile dataset (ADID primary; attributes golf, segment, age, city)
 * and linked into the universe; a fifth of them share a planted profile (golf, segment "golf", age
 * 40–55) and buy 1–3 times on a pixel, the others are random and a tenth of them buy once; half of
 * everyone views a page. The seed is a customer file of planted people's ADIDs, counted.
 *
 * Project: `POST /v1/targets/lookalikes {seed: CUSTOMER_FILE, size: 5}`, then `GET …/{id}` every
 * 20 ms until the build is done and its population counted — training on a seed sample against a
 * non-seed sample, scoring every person of the universe in chunks, members and population.
 *
 * Baseline: training + scoring by the bare library call (src/lookalikes/model.ts: `train()` — the
 * power iteration and ml-logistic-regression — then `scores()` of every universe person, in chunks
 * of the service's CHUNK_PEOPLE) on in-memory standardised rows of the same shape the build
 * reported (training rows, features, people scored). Goal: ≤ 60 s end to end at 1M people.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { prng } from '../src/demo/generate';
import { CHUNK_PEOPLE } from '../src/lookalikes/service';
import { train } from '../src/lookalikes/model';
import { BenchResult, fmtInt, fmtSec, measure, postFile, ratioOf, sampleDatabase, say, Side, Size, sized, startStack, workDir } from './harness';

export const UNIVERSE_PEOPLE: Record<Size, number> = { small: 30_000, full: 1_000_000 };
const SEGMENTS = ['golf', 'tennis', 'gaming', 'cooking', 'travel'];
const CITIES = ['Seoul', 'Busan', 'Incheon', 'Daegu', 'Daejeon', 'Gwangju', 'Suwon', 'Ulsan', 'Changwon', 'Jeju'];

/** A deterministic, random-looking advertising id (v4 shape) for person n. */
export function benchAdid(n: number): string {
  const h = createHash('md5').update(`lookalike-bench:${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function peopleCsv(people: number, planted: number): Readable {
  const rand = prng(2026);
  let n = 0;
  let header = true;
  return new Readable({
    read() {
      let chunk = header ? 'mobileIdentifiers.adid,lal.golf,lal.segment,lal.age,lal.city\n' : '';
      header = false;
      while (n < people && chunk.length < 256 * 1024) {
        const p = n < planted;
        const golf = p ? rand() < 0.9 : rand() < 0.15;
        const segment = p ? (rand() < 0.85 ? 'golf' : SEGMENTS[Math.floor(rand() * 5)]) : SEGMENTS[Math.floor(rand() * 5)];
        const age = p ? 40 + Math.floor(rand() * 16) : 18 + Math.floor(rand() * 53);
        chunk += `${benchAdid(n)},${golf},${segment},${age},${CITIES[Math.floor(rand() * CITIES.length)]}\n`;
        n++;
      }
      if (chunk) this.push(chunk);
      if (n >= people) this.push(null);
    },
  });
}

/** Normal-ish random numbers (sum of uniforms) for the baseline's rows. */
function gaussian(rand: () => number): number {
  return rand() + rand() + rand() + rand() - 2;
}

export async function runLookalike(size: Size): Promise<BenchResult[]> {
  const people = sized('BENCH_LOOKALIKE_PEOPLE', UNIVERSE_PEOPLE, size);
  const planted = Math.round(people / 5);
  const seedSize = Math.min(planted, size === 'full' ? 5000 : 2400);
  const wd = workDir('lookalike');
  const stack = await startStack({ COLLECT_RATE_PER_SECOND: '1000000', COLLECT_BURST: '10000000' });
  const { api } = stack;
  const s = stack.runtime.services;
  try {
    // ---- set-up ------------------------------------------------------------------------------------
    const t0 = Date.now();
    const stamp = Date.now().toString(36);
    const fg = await api.post('/v1/field-groups', {
      title: `Lookalike bench attributes ${stamp}`,
      intendedToExtend: ['xdm:individual-profile'],
      definition: { lal: { type: 'object', properties: { golf: { type: 'boolean' }, segment: { type: 'string' }, age: { type: 'integer' }, city: { type: 'string' } } } },
    });
    const schema = await api.post('/v1/schemas', {
      title: `Lookalike bench people ${stamp}`,
      classId: 'xdm:individual-profile',
      fieldGroupIds: ['fg:mobile-identifiers', fg.id],
      identities: [{ fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: true }],
    });
    await api.post(`/v1/schemas/${schema.id}/enable-profile`);
    const dataset = await api.post('/v1/datasets', { name: `Lookalike bench people ${stamp}`, schemaId: schema.id });
    await api.post(`/v1/datasets/${dataset.id}/enable-profile`);
    const csv = path.join(wd.dir, 'people.csv');
    await pipeline(peopleCsv(people, planted), fs.createWriteStream(csv));
    const loaded = await postFile(stack.url, stack.token, `/v1/datasets/${dataset.id}/data?format=csv&fileName=people.csv`, csv);
    if (loaded.status !== 201 || loaded.body.status !== 'success') throw new Error(`set-up load failed: ${JSON.stringify(loaded.body).slice(0, 500)}`);
    fs.rmSync(csv);

    // Behaviour: pixel purchases and page views, 1,000 events per request, a few requests at a time.
    const tracker = await api.post('/v1/trackers', { name: `Shop pixel ${stamp}` });
    const rand = prng(77);
    let batch: object[] = [];
    let events = 0;
    const inFlight = new Set<Promise<unknown>>();
    const send = async (body: object[]) => {
      const p = api.publicPost(`/v1/collect/${tracker.trackId}`, { events: body });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    };
    for (let n = 0; n < people; n++) {
      const adid = benchAdid(n);
      const times = n < planted ? 1 + Math.floor(rand() * 3) : rand() < 0.1 ? 1 : 0;
      for (let i = 0; i < times; i++) batch.push({ event: 'purchase', adid });
      if (rand() < 0.5) batch.push({ event: 'pageView', adid });
      if (batch.length >= 996) {
        events += batch.length;
        await send(batch);
        batch = [];
      }
    }
    if (batch.length) {
      events += batch.length;
      await send(batch);
    }
    await Promise.all(inFlight);
    await s.universe.linkPending(stack.adAccountId);
    const universe = await api.get('/v1/universe');
    if (universe.people !== people) throw new Error(`the universe holds ${universe.people} people, expected ${people}`);

    // The seed: a customer file of planted people.
    const seedFile = path.join(wd.dir, 'seed.csv');
    fs.writeFileSync(seedFile, ['adid', ...Array.from({ length: seedSize }, (_, n) => benchAdid(n))].join('\n') + '\n');
    const up = await postFile(stack.url, stack.token, '/v1/targets/customer-files/uploads?fileName=seed.csv', seedFile);
    if (up.status !== 201) throw new Error(`seed upload: ${JSON.stringify(up.body).slice(0, 300)}`);
    const cf = await api.post('/v1/targets/customer-files', { uploadId: up.body.id, name: `Golf buyers ${stamp}` });
    const seed = await api.poll(`/v1/targets/customer-files/${cf.id}`, (x) => !['preparing', 'querying'].includes(x.population.state), { intervalMs: 50 });
    if (seed.population.count !== seedSize) throw new Error(`seed population ${JSON.stringify(seed.population)}, expected ${seedSize}`);
    say(
      `lookalike: universe of ${fmtInt(people)} people (${fmtInt(planted)} planted), ${fmtInt(events)} pixel events, seed customer file of ${fmtInt(seedSize)} people; set up in ${fmtSec(Date.now() - t0)} — not measured`,
    );

    // ---- project -------------------------------------------------------------------------------------
    const done = (x: any) => x.status !== 'STANDBY' && !x.building && !['preparing', 'querying'].includes(x.population?.state);
    const sampled = await sampleDatabase(stack.databaseUrl, () =>
      measure(async () => {
        const created = await api.post('/v1/targets/lookalikes', { seed: { type: 'CUSTOMER_FILE', id: cf.id }, size: 5 });
        return api.poll(`/v1/targets/lookalikes/${created.id}`, done, { intervalMs: 20 });
      }, 'lookalike'),
    );
    const proj = sampled.value;
    const lal = proj.value;
    if (lal.status !== 'AVAILABLE') throw new Error(`lookalike ended ${lal.status}: ${lal.error}`);
    const report = lal.lastBuild as { durationMs: number; scoredPeople: number; trainingSeed: number; trainingOthers: number; features: number; resultPeople: number; quality: { auc: number | null; recallAtSize: number | null } | null };

    // ---- baseline: the bare library call on rows of the same shape -----------------------------------
    const width = report.features;
    const r = prng(9);
    const row = (shift: number) => Array.from({ length: width }, (_, j) => gaussian(r) + (j % 3 === 0 ? shift : 0));
    const positives = Array.from({ length: report.trainingSeed }, () => row(0.8));
    const negatives = Array.from({ length: report.trainingOthers }, () => row(0));
    let scored = 0;
    const base = await measure(async () => {
      const model = train(positives, negatives);
      for (let done = 0; done < report.scoredPeople; done += CHUNK_PEOPLE) {
        const rows = Array.from({ length: Math.min(CHUNK_PEOPLE, report.scoredPeople - done) }, () => row(0));
        scored += model.scores(rows).length;
      }
    });

    const project: Side = { what: 'POST /v1/targets/lookalikes (customer file seed, 5 %), polled until built and counted', ms: proj.ms, amount: people, unit: 'people', peakRssMb: proj.peakRssMb };
    const baseline: Side = {
      what: `model.ts train() + scores() of ${fmtInt(scored)} people on in-memory rows of ${width} features (same shapes)`,
      ms: base.ms,
      amount: people,
      unit: 'people',
      peakRssMb: base.peakRssMb,
    };
    return [
      {
        name: 'lookalike',
        workload: 'lookalike build over the universe',
        size: `${fmtInt(people)} people, seed ${fmtInt(seedSize)}`,
        project,
        baseline,
        ratioKind: 'time',
        ratio: ratioOf('time', project, baseline),
        goal: '≤ 60 s end to end',
        checks: [{ label: `≤ 60 s${size === 'full' ? '' : ` (here at ${fmtInt(people)} people)`}`, ok: proj.ms <= 60_000, actual: fmtSec(proj.ms) }],
        details: [
          `build report: ${fmtSec(report.durationMs)} in the job; trained on ${fmtInt(report.trainingSeed)} seed + ${fmtInt(report.trainingOthers)} other people, ${report.features} features; scored ${fmtInt(report.scoredPeople)}; ` +
            `${fmtInt(report.resultPeople)} members; held-out AUC ${report.quality?.auc ?? '—'}, recall at 5 % ${report.quality?.recallAtSize ?? '—'}`,
          'PostgreSQL during the build (backends of the service; sampled every 20 ms):',
          ...sampled.top.map((l) => `  ${l}`),
          `RSS of the service process: ${proj.startRssMb.toFixed(0)} MB before, peak ${proj.peakRssMb.toFixed(0)} MB during the build; peak JS heap used ${proj.peakHeapMb.toFixed(0)} MB, external ${proj.peakExternalMb.toFixed(0)} MB`,
          ...(size === 'full' ? [] : [`linear extrapolation to 1M people: ${fmtSec((proj.ms * 1_000_000) / people)}`]),
        ],
      },
    ];
  } finally {
    await stack.close();
    wd.cleanup();
  }
}
