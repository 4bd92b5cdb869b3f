/**
 * The link code list says how many codes an ad account may have, so the console's 연동코드 list can
 * show n / 30 and say why + 연동코드 만들기 is refused before the 31st is tried.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 60_000);
afterAll(async () => api.close());

it('lists link codes with the per-account limit that refuses one more', async () => {
  const marketer = await api.keyFor('marketer');
  const empty = await api.as(marketer).get('/v1/mat/link-codes').expect(200);
  expect(empty.body).toEqual({ items: [], limit: 30 });
  for (let i = 0; i < empty.body.limit; i++) await api.as(marketer).post('/v1/mat/link-codes', { name: `앱 ${i}` }).expect(201);
  const full = await api.as(marketer).get('/v1/mat/link-codes').expect(200);
  expect(full.body.items).toHaveLength(full.body.limit);
  const refused = expectProblem(await api.as(marketer).post('/v1/mat/link-codes', { name: '앱 30' }), 409);
  expect(refused.limit).toBe(full.body.limit);
});
