/**
 * Behind a load balancer every request comes from the proxy's address. TRUST_PROXY names the
 * proxies whose X-Forwarded-For gives the client address. The collection rate limit then holds per
 * client, as it does without a proxy. Without TRUST_PROXY the header is ignored, so a client cannot
 * dodge the limit by sending one. Runs `cdp start --api-only` of the built CLI.
 */
import request from 'supertest';
import { loadConfig } from '../src/config';
import { assertBuilt, CliProcess, killHard, serviceEnv, startCli } from './helpers/cli';
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let behindProxy: CliProcess;
let direct: CliProcess;
let trackId: string;

beforeAll(async () => {
  assertBuilt();
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  // Two requests per client and track id, refilled slowly: the third within the test is refused.
  const limits = { COLLECT_BURST: '2', COLLECT_RATE_PER_SECOND: '1' };
  [behindProxy, direct] = await Promise.all([
    startCli(['start', '--api-only'], serviceEnv(api, { ...limits, TRUST_PROXY: 'loopback' }), { api: true }),
    startCli(['start', '--api-only'], serviceEnv(api, limits), { api: true }),
  ]);
  trackId = (await api.as(api.adminToken).post('/v1/trackers', { name: 'Proxied pixel' }).expect(201)).body.trackId;
}, 60_000);

afterAll(async () => {
  await Promise.all([behindProxy, direct].filter(Boolean).map(killHard));
  await api?.close();
});

let n = 0;
const collect = (proc: CliProcess, client: string) =>
  request(proc.url!)
    .post(`/v1/collect/${trackId}`)
    .set('X-Forwarded-For', client)
    .send({ events: [{ eventId: `e${++n}`, event: 'pageView', adid: '00000000-0000-4000-8000-000000000001' }] });

it('with TRUST_PROXY=loopback, clients behind the proxy each have their own collection rate limit', async () => {
  const statuses = [];
  for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2']) statuses.push((await collect(behindProxy, client)).status);
  expect(statuses).toEqual([202, 202, 429, 202]);
});

it('without TRUST_PROXY, X-Forwarded-For is ignored: the limit holds for the connection\'s address', async () => {
  const statuses = [];
  for (const client of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) statuses.push((await collect(direct, client)).status);
  expect(statuses).toEqual([202, 202, 429]);
});

it('TRUST_PROXY takes a hop count or addresses and subnets, and refuses anything else with what it takes', () => {
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).toBe('loopback,10.0.0.0/8,fd00::/8');
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must be a hop count .* got "true"/);
  expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  expect(() => loadConfig({ TRUST_PROXY: '11' })).toThrow(/TRUST_PROXY must be an integer between 0 and 10/);
});
