/**
 * GET /v1/targets tells the console how many targets of each kind the account has against the
 * per-kind limit (the lists' "n / 30"), counted per account, whatever kind the list is filtered by.
 */
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
}, 60_000);
afterAll(async () => api.close());

it('answers the per-kind limit and the count of every kind, of this account only', async () => {
  const as = api.as(api.adminToken);
  const campaign = await as.post('/v1/campaigns', { name: 'Limits', type: 'DISPLAY' }).expect(201);
  const group = await as.post('/v1/ad-groups', { campaignId: campaign.body.id, name: 'Video A' }).expect(201);
  const body = { campaignType: 'DISPLAY', sources: [group.body.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 30 };
  await as.post('/v1/targets/ad-response', body).expect(201);
  await as.post('/v1/targets/ad-response', body).expect(201);

  const other = await api.otherAccount();
  const theirs = await api.as(other.adminToken).get('/v1/targets').expect(200);
  expect(theirs.body).toMatchObject({ items: [], limit: 30, counts: { ad_response: 0 } });

  const all = await as.get('/v1/targets').expect(200);
  expect(all.body.limit).toBe(30);
  expect(all.body.counts).toEqual({ customer_file: 0, friend_group: 0, ad_response: 2, pixel: 0, mat: 0, lookalike: 0 });
  // Filtered to another kind, the counts still cover every kind.
  const files = await as.get('/v1/targets?kind=customer_file').expect(200);
  expect(files.body).toMatchObject({ items: [], limit: 30, counts: { ad_response: 2, customer_file: 0 } });
});
