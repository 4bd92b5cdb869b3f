/**
 * The README's demo flow as an end-to-end test: partner file over SFTP → dataflow → Third-Party
 * labels → two audiences → S3 and LiveRamp exports → a third activation blocked with lineage; then
 * the first-party side: people → universe, customer file, talk channel and friend group, pixel,
 * MAT, reactions → ad-response target, ad group targeting with reach, usage and a refused delete.
 * The first-party numbers the service shows must equal what the generated data implies per person.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { CORE_POLICY_TEXT } from '../console/src/ui/core-policy-names';
import { runDemoFlow, DemoResult } from '../src/demo/flow';
import { launchBrowser, newConsole, screenshot, signIn } from './helpers/browser';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';

let api: TestApi;
let result: DemoResult;
let workDir: string;
/** The demo's own first-party size: its customer file (~70 %) is large enough to seed a lookalike. */
const PEOPLE = 3000;

type Policy = { name: string; status: string; coreKey?: string | null };
function koreanPolicyName(p: Policy): string {
  const text = p.coreKey ? CORE_POLICY_TEXT[p.coreKey] : undefined;
  return text && p.name === text.en.name ? text.ko.name : p.name;
}

beforeAll(async () => {
  api = await startTestApi();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-'));
  result = await runDemoFlow({ api: api.url, token: api.adminToken, workDir, prospects: 2000, firstPartyPeople: PEOPLE });
}, 240_000);
afterAll(async () => {
  await result?.servers.stop();
  await api.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('cdp demo flow', () => {
  it('ingests the partner file and builds two non-empty audiences', async () => {
    const ds = await api.as(api.adminToken).get(`/v1/datasets/${result.datasetId}`).expect(200);
    expect(ds.body.counts.currentRecords).toBe(2000);
    // The partner's three flawed rows are row errors; the other rows load.
    expect(result.ingested).toEqual({ input: 2003, output: 2000, failed: 3 });
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

  it('blocks the third activation with its lineage, and it stays in the account paused and blocked', async () => {
    expect(result.blocked.status).toBe(422);
    expect(result.blocked.lineage.join('\n')).toMatch(/field personalEmail\.address → audience "Seoul 30s .*" → activation .* → destination "Local S3/);
    const list = await api.as(api.adminToken).get('/v1/activations').expect(200);
    const paused = (list.body.items as { id: string; name: string; enabled: boolean }[]).find((a) => a.name.startsWith('Seoul 30s with emails'))!;
    expect(paused.enabled).toBe(false);
    const detail = await api.as(api.adminToken).get(`/v1/activations/${paused.id}`).expect(200);
    expect(detail.body.verdict.allowed).toBe(false);
  });

  describe('first-party targets', () => {
    const fp = () => result.firstParty;

    it('loads the generated people into a profile dataset; the universe holds one person per generated person', async () => {
      expect(fp().load).toEqual({ status: 'success', counts: { input: fp().implied.records, output: fp().implied.records, failed: 0 } });
      expect(fp().implied.records).toBeGreaterThan(PEOPLE); // some people have a second device
      const ds = await api.as(api.adminToken).get(`/v1/datasets/${fp().datasetId}`).expect(200);
      expect(ds.body.counts.currentRecords).toBe(fp().implied.records);
      expect(fp().universe).toEqual({
        people: PEOPLE,
        identities: fp().implied.records + 3 * PEOPLE,
        identitiesByKind: { adid: fp().implied.records, app_user_id: PEOPLE, email: PEOPLE, phone: PEOPLE },
      });
    });

    it('counts the customer file: rows, failures, duplicates, and people behind its known ADIDs', () => {
      const { customerFile, implied } = fp();
      expect(customerFile.counts).toEqual(implied.customerFile.counts);
      expect(customerFile.counts.failed).toBe(5);
      expect(customerFile.counts.duplicates).toBeGreaterThan(0);
      // Unknown ADIDs count nothing and two ADIDs of one person count once.
      expect(customerFile.counts.succeeded).toBeGreaterThan(implied.customerFile.population);
      expect(customerFile.population).toMatchObject({ state: 'ready', count: implied.customerFile.population, usable: true });
      expect(implied.customerFile.population).toBe(2100);
      expect(customerFile.status).toBe('COMPLETE');
    });

    it('counts channel friends and the friend group members who are friends, across phone and app user id', () => {
      const { talkChannel, friendGroup, implied } = fp();
      expect(talkChannel.friendCount).toBe(implied.channelFriends);
      expect(friendGroup.counts).toEqual(implied.friendGroup.counts);
      expect(friendGroup.counts.failed).toBe(2);
      expect(friendGroup.friendCount).toBe(implied.friendGroup.friendCount);
      expect(friendGroup.population).toMatchObject({ state: 'ready', count: implied.friendGroup.friendCount });
    });

    it('collects pixel events without an API key and counts visitors and recent purchasers', () => {
      const { tracker, pixelTarget, implied } = fp();
      expect(tracker.status).toBe('COLLECTION');
      expect(tracker.eventTypes).toEqual(expect.arrayContaining(['pageView', 'addToCart', 'purchase']));
      expect(tracker.eventsSent).toBeGreaterThan(implied.trackerPopulation);
      expect(tracker.population.count).toBe(implied.trackerPopulation);
      // The first batch sent again is stored once; a malformed adid is refused.
      expect(tracker.resent.accepted).toBeGreaterThan(0);
      expect(tracker.resent.duplicates).toBe(tracker.resent.accepted);
      expect(tracker.refusedStatus).toBe(422);
      expect(implied.pixelPurchasers30d).toBeGreaterThan(0);
      expect(pixelTarget.population).toMatchObject({ count: implied.pixelPurchasers30d, usable: true });
    });

    it('receives MAT postbacks and counts the purchasers of the MAT link', () => {
      const { mat, implied } = fp();
      expect(mat.received.map((r) => `${r.vendor} ${r.event}`).sort()).toEqual(['igaworks install', 'igaworks purchase']);
      expect(mat.received.find((r) => r.event === 'purchase')!.count).toBe(implied.matPurchasers);
      expect(mat.link.population.count).toBe(implied.matPurchasers);
      // A vendor's resend is stored once; an all-zero (ad-tracking-limited) ad id is ignored.
      expect(mat.resent.accepted).toBeGreaterThan(0);
      expect(mat.resent.duplicates).toBe(mat.resent.accepted);
      expect(mat.ignored).toBe(1);
    });

    it('counts the ad-response target as the people who clicked and did not play within 30 days', () => {
      const { reactions, adResponse, implied } = fp();
      expect(reactions).toEqual(implied.reactions);
      expect(reactions.notQualifyingPlays).toBeGreaterThan(0);
      expect(adResponse.name).toMatch(/^동영상 A 외 1개 · 클릭-재생 · 30일$/);
      expect(adResponse.population).toMatchObject({ count: implied.adResponse, usable: true });
      expect(implied.adResponse).toBeGreaterThan(0);
    });

    it('builds a lookalike of the customer file over the universe, with its state and population', () => {
      const { lookalike, customerFile, universe } = fp();
      expect(lookalike).not.toBeNull();
      expect(lookalike!.name).toBe(`${customerFile.name} 유사타겟 10%`);
      // 10 % of the universe: below a lookalike's 1,000 people at the demo's size, so 모수부족, and counted.
      expect(lookalike!.status).toBe(universe.people * 0.1 >= 1000 ? 'AVAILABLE' : 'SEED_NOT_ENOUGH');
      expect(lookalike!.population.count).toBeGreaterThan(0);
      expect(lookalike!.population.count).toBeLessThanOrEqual(Math.ceil(universe.people * 0.1) + 100); // + new devices
    });

    it('estimates the reach of the targeting and refuses to delete the customer file it uses', () => {
      const { reach, usage, refusedDelete, customerFile, adGroup, implied } = fp();
      expect(reach).toEqual(implied.reach);
      expect(reach.base).toBeGreaterThan(PEOPLE); // new devices seen by the pixel and MAT joined the universe
      expect(reach.reach).toBeLessThan(reach.included!);
      expect([...usage].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
        { type: 'ad_group', id: adGroup.id, name: '리타게팅', role: 'include', campaign: expect.stringMatching(/^겨울 세일 /) },
        { type: 'lookalike', id: fp().lookalike!.id, name: fp().lookalike!.name, role: 'seed', campaign: null },
      ]);
      expect(refusedDelete.status).toBe(409);
      expect(refusedDelete.detail).toContain('리타게팅');
      expect(fp().targets.map((t) => t.kind).sort()).toEqual(['ad_response', 'customer_file', 'friend_group', 'lookalike', 'mat', 'pixel']);
      expect(fp().targets.find((t) => t.name === customerFile.name)).toBeDefined();
    });
  });

  it('leaves every series of GET /metrics there, the work it did counted', async () => {
    const res = await request(api.url).get('/metrics').expect(200);
    const samples = res.text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(l)!)
      .map((m) => ({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) }));
    const total = (name: string, labels = '') => samples.filter((s) => s.name === name && s.labels.includes(labels)).reduce((n, s) => n + s.value, 0);
    const counted: [string, string?][] = [
      ['http_request_duration_seconds_count', 'route="/v1/collect/:trackId"'],
      ['http_request_duration_seconds_count', 'route="/v1/datasets/:id/data"'],
      ['cdp_batch_rows_total', 'outcome="ok"'],
      ['cdp_batch_rows_total', 'outcome="failed"'],
      ['cdp_export_rows_total', 'destination_type="s3"'],
      ['cdp_export_rows_total', 'destination_type="liveramp"'],
      ['cdp_export_files_total', 'destination_type="s3"'],
      ['cdp_export_files_total', 'destination_type="liveramp"'],
      ['cdp_collect_events_total', 'outcome="accepted"'],
      ['cdp_collect_events_total', 'outcome="deduplicated"'],
      ['cdp_collect_events_total', 'outcome="rejected"'],
      ['cdp_mat_postbacks_total', 'outcome="accepted"'],
      ['cdp_mat_postbacks_total', 'outcome="deduplicated"'],
      ['cdp_mat_postbacks_total', 'outcome="ignored"'],
      ['cdp_population_counts_total'],
      ['cdp_jobs_finished_total', 'outcome="completed"'],
      ['cdp_db_pool_max'],
      ['process_cpu_seconds_total'],
    ];
    expect(counted.filter(([name, labels]) => !(total(name, labels) > 0))).toEqual([]);
    // Measures of trouble and load are there too, at whatever they are now.
    for (const name of ['cdp_batch_rows_total', 'cdp_jobs_waiting', 'cdp_jobs_active', 'cdp_jobs_failed', 'cdp_jobs_oldest_waiting_age_seconds', 'cdp_db_pool_in_use', 'cdp_db_pool_waiting']) {
      expect(samples.some((s) => s.name === name)).toBe(true);
    }
  });

  describe('the console on the demo', () => {
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      browser = await launchBrowser();
      page = (await newConsole(browser, 'ko-KR')).page;
      await signIn(page, api.url, await api.keyFor('marketer'));
    }, 60_000);
    afterAll(() => browser?.close());

    /** The row of a list that names `name`. */
    const row = (name: string) => page.getByRole('row').filter({ hasText: name });

    it('shows the datasets, audiences with their sizes, and the activations', async () => {
      const datasets = (await api.as(api.adminToken).get('/v1/datasets').expect(200)).body.items as { id: string; name: string }[];
      await page.goto(`${api.url}/datasets`);
      for (const id of [result.datasetId, result.firstParty.datasetId]) await row(datasets.find((d) => d.id === id)!.name).waitFor();
      await page.goto(`${api.url}/audiences`);
      for (const a of result.audiences) await eventually(async () => (await row(a.name).textContent())?.includes(a.size.toLocaleString('ko-KR')), `audience "${a.name}" with ${a.size}`);
      const activations = (await api.as(api.adminToken).get('/v1/activations').expect(200)).body.items as { name: string }[];
      expect(activations).toHaveLength(3);
      await page.goto(`${api.url}/activations`);
      for (const a of activations) await row(a.name).waitFor();
      await screenshot(page, 'demo-activations-ko');
    });

    it('shows the demo on the data engineer’s and governance screens: namespaces, schemas, source accounts and dataflows, profiles, destinations, policies, audit log', async () => {
      const as = api.as(api.adminToken);
      // An admin sees every screen (a marketer's key cannot read sources or the audit log).
      const { context, page: admin } = await newConsole(browser, 'ko-KR');
      await signIn(admin, api.url, await api.keyFor('admin'));
      const adminRow = (name: string) => admin.getByRole('row').filter({ hasText: name });
      const demoNamespace = ((await as.get('/v1/namespaces').expect(200)).body.items as { code: string; type: string }[]).find((n) => n.type === 'partner_id')!;
      // [screen, a name it must show, the tab that lists it]
      const screens: [string, string, string?][] = [
        ['/identities', demoNamespace.code],
        ['/schemas', ((await as.get('/v1/schemas').expect(200)).body.items as { title: string }[])[0].title],
        ['/sources/accounts', ((await as.get('/v1/connections').expect(200)).body.items as { name: string }[])[0].name],
        ['/sources/dataflows', ((await as.get('/v1/dataflows').expect(200)).body.items as { name: string }[])[0].name],
        ['/destinations', ((await as.get('/v1/destinations').expect(200)).body.items as { name: string }[])[0].name, '찾아보기'],
        // A core policy that keeps its default name is listed by its Korean name in a Korean console.
        ['/governance', koreanPolicyName(((await as.get('/v1/policies').expect(200)).body.items as Policy[]).find((x) => x.status === 'ENABLED')!)],
      ];
      for (const [screen, name, tab] of screens) {
        await admin.goto(`${api.url}${screen}`);
        if (tab) await admin.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
        await admin.getByText(name, { exact: true }).first().waitFor();
      }
      // A profile of the partner file, with the namespace column saying which vendor it came from.
      const profile = ((await as.get('/v1/profiles?limit=1').expect(200)).body.items as { identity: string; namespace: { code: string } }[])[0];
      await admin.goto(`${api.url}/profiles`);
      await adminRow(profile.identity).first().waitFor();
      await expect(adminRow(profile.identity).first().textContent()).resolves.toContain(profile.namespace.code);
      // The audit log lists the demo's configuration changes.
      await admin.goto(`${api.url}/audit`);
      await admin.getByRole('row').nth(5).waitFor();
      await screenshot(admin, 'demo-audit-ko');
      await context.close();
    }, 60_000);

    it('shows the blocked activation with the policy it violates and its lineage', async () => {
      const blocked = ((await api.as(api.adminToken).get('/v1/activations').expect(200)).body.items as { id: string; name: string }[]).find((a) => a.name.startsWith('Seoul 30s with emails'))!;
      await page.goto(`${api.url}/activations/${blocked.id}`);
      await page.getByTestId('policy-violations').waitFor();
      const graph = page.getByTestId('lineage-graph');
      for (const kind of ['dataset', 'field', 'audience', 'activation', 'destination']) await graph.getByTestId(`lineage-node-${kind}`).first().waitFor();
      await graph.getByTestId('lineage-node-field').filter({ hasText: 'personalEmail.address' }).waitFor();
      // A run would be refused on the same check: Run now is disabled and says why.
      const runNow = page.getByRole('button', { name: '지금 실행' });
      await expect(runNow.isDisabled()).resolves.toBe(true);
      await expect(runNow.getAttribute('data-disabled-reason')).resolves.toContain('정책 위반');
      await screenshot(page, 'demo-activation-blocked-ko');
    });

    it('타겟 관리 shows the demo’s targets of every kind with the populations the API reports', async () => {
      const tabs: Record<string, string> = { ad_response: 'ad-response', customer_file: 'customer-files', friend_group: 'friend-groups', pixel: 'pixels', mat: 'mat', lookalike: 'lookalikes' };
      const targets = (await api.as(api.adminToken).get('/v1/targets').expect(200)).body.items as { kind: string; name: string; population: { state: string; count: number | null } }[];
      expect(targets.map((t) => t.kind).sort()).toEqual(Object.keys(tabs).sort());
      for (const t of targets) {
        await page.goto(`${api.url}/targets/${tabs[t.kind]}`);
        const badge = row(t.name).getByTestId('population');
        await eventually(async () => (await badge.getAttribute('data-state')) === t.population.state && (await badge.getAttribute('data-count')) === String(t.population.count ?? ''), `${t.kind} "${t.name}" showing ${t.population.count}`);
        await screenshot(page, `demo-targets-${tabs[t.kind]}-ko`);
      }
      await page.goto(`${api.url}/targets/campaigns`);
      await row(result.firstParty.usage[0].campaign!).waitFor();
    });
  });
});
