/**
 * The bad-input corpus through HTTP: every broken partner file ends as row errors or a failed batch
 * with a reason — never a 5xx, never partial data.
 */
import { startTestApi, TestApi } from './helpers/harness';
import { ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Corpus');
});
afterAll(async () => api.close());

const HEADER = 'partnerID,homeAddress.city,consumer.age\n';

const corpus: { name: string; body: Buffer; query?: string; expect: 'failed' | 'row-errors'; reason?: RegExp }[] = [
  { name: 'ragged rows', body: Buffer.from(HEADER + 'A1,Seoul,30\nA2,Busan\nA3,Daegu,40,extra\n'), expect: 'row-errors' },
  { name: 'unbalanced quote', body: Buffer.from(HEADER + 'B1,"Seoul,30\nB2,Busan,31\n'), expect: 'failed', reason: /quote/i },
  { name: 'invalid UTF-8', body: Buffer.concat([Buffer.from(HEADER + 'C1,'), Buffer.from([0xc3, 0x28]), Buffer.from(',30\nC2,Seoul,31\n')]), expect: 'row-errors' },
  { name: 'a 10 MB line', body: Buffer.from(HEADER + `D1,${'x'.repeat(10 * 1024 * 1024)},30\nD2,Seoul,31\n`), expect: 'row-errors' },
  { name: 'unknown columns', body: Buffer.from('partnerID,favouriteColour\nE1,blue\n'), expect: 'failed', reason: /favouriteColour/ },
  { name: 'wrong types', body: Buffer.from(HEADER + 'F1,Seoul,thirty\nF2,Seoul,99999999999\nF3,Seoul,31\n'), expect: 'row-errors' },
  { name: 'invalid identities', body: Buffer.from(HEADER + '"G1\u0007",Seoul,30\n,Seoul,31\nG3,Seoul,32\n'), expect: 'row-errors' },
  { name: 'NUL characters', body: Buffer.from(HEADER + 'N1,Se\u0000oul,30\nN2,Seoul,31\n'), expect: 'row-errors' },
  { name: 'empty file', body: Buffer.alloc(0), expect: 'failed', reason: /empty/i },
  { name: 'wrong compression', body: Buffer.from(HEADER + 'H1,Seoul,30\n'), query: '&compression=gzip', expect: 'failed', reason: /gzip|compress/i },
];

describe.each(corpus)('$name', ({ body, query, expect: outcome, reason }) => {
  it(`gives ${outcome === 'failed' ? 'a failed batch with a reason' : 'row errors'} and no partial data`, async () => {
    const before = (await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records;
    const res = await api
      .as(p.token)
      .post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=100${query ?? ''}`)
      .set('Content-Type', 'text/csv')
      .send(body);
    expect(res.status).toBe(201);
    const after = (await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records;
    if (outcome === 'failed') {
      expect(res.body.status).toBe('failed');
      expect(res.body.failureReason).toMatch(reason!);
      expect(after).toBe(before);
    } else {
      expect(res.body.status).toBe('success');
      expect(res.body.counts.failed).toBeGreaterThan(0);
      expect(after - before).toBe(res.body.counts.output);
      const errors = JSON.parse((await api.as(p.token).get(`/v1/batches/${res.body.id}/errors?format=json`).expect(200)).text);
      expect(errors).toHaveLength(res.body.counts.failed);
      for (const e of errors) expect(e).toEqual(expect.objectContaining({ row: expect.any(Number), rule: expect.any(String), message: expect.any(String) }));
    }
  });
});
