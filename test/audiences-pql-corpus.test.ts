/**
 * A corpus of PQL as Adobe's public documentation writes it (Experience League: PQL string, array,
 * comparison, logical, null and date-time functions; PQL overview), adapted to the prospect field
 * groups, pasted through POST /v1/audiences/estimate unchanged. Each accepted example's count is
 * checked against an evaluator written here over the seeded prospects, and each method form against
 * its function form (same size, same canonical rule). Case-insensitive variants count differently from
 * the case-sensitive ones on mixed-case data. PQL a prospect audience may not use answers 422 with why
 * and where.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
let marketer: string;

interface Prospect {
  id: string;
  city?: string;
  age?: number;
  email?: string;
  firstName?: string;
  interests?: string[];
  lastPurchaseDate?: string;
}

// Mixed case on purpose: "Seoul"/"seoul"/"SEOUL", ".com"/".COM", "Joe"/"joe".
const prospects: Prospect[] = [
  { id: 'P1', city: 'Seoul', age: 31, email: 'joe@mail.com', firstName: 'Joe', interests: ['golf', 'travel'], lastPurchaseDate: '2020-03-14' },
  { id: 'P2', city: 'seoul', age: 45, email: 'ann@MAIL.COM', firstName: 'Ann', interests: ['golf'], lastPurchaseDate: '2019-01-01' },
  { id: 'P3', city: 'SEOUL', age: 22, email: 'kim@mail.kr', firstName: 'Joey', interests: ['cooking'] },
  { id: 'P4', city: 'Sejong', age: 38, email: 'lee@corp.com', firstName: 'Bob', interests: ['travel'], lastPurchaseDate: '2100-01-01' },
  { id: 'P5', city: 'Busan', age: 52, email: 'park@mail.kr', firstName: 'joe' },
  { id: 'P6', age: 29 },
  { id: 'P7', city: 'busan', age: 60, email: 'choi@Mail.Com', firstName: 'Joanne', interests: ['Golf'], lastPurchaseDate: '2020-03-14' },
  { id: 'P8', city: 'Daegu', email: 'spam@mail.com', firstName: 'Ted', interests: ['golf', 'cooking'] },
];

function jsonl(rows: Prospect[]): string {
  return (
    rows
      .map((r) =>
        JSON.stringify({
          partnerID: r.id,
          ...(r.firstName !== undefined ? { person: { name: { firstName: r.firstName } } } : {}),
          ...(r.city !== undefined ? { homeAddress: { city: r.city } } : {}),
          ...(r.email !== undefined ? { personalEmail: { address: r.email } } : {}),
          consumer: { ...(r.age !== undefined ? { age: r.age } : {}), ...(r.interests ? { interests: r.interests } : {}), ...(r.lastPurchaseDate ? { lastPurchaseDate: r.lastPurchaseDate } : {}) },
        }),
      )
      .join('\n') + '\n'
  );
}

// The independent evaluator: a missing value never matches, except under not / !(…).
type Pred = (x: Prospect) => boolean;
const has = <T>(v: T | undefined, f: (v: T) => boolean) => v !== undefined && f(v);
const city = (f: (c: string) => boolean): Pred => (x) => has(x.city, f);
const name = (f: (c: string) => boolean): Pred => (x) => has(x.firstName, f);
const email = (f: (c: string) => boolean): Pred => (x) => has(x.email, f);
const age = (f: (c: number) => boolean): Pred => (x) => has(x.age, f);
const bought = (f: (c: string) => boolean): Pred => (x) => has(x.lastPurchaseDate, f);
const likes = (f: (c: string[]) => boolean): Pred => (x) => has(x.interests, f);
const lc = (s: string) => s.toLowerCase();
const TODAY = new Date().toISOString().slice(0, 10);

interface Accepted {
  /** PQL as Adobe documents it (field names adapted). */
  pql: string;
  /** The function or operator form meaning the same: equal size and equal canonical rule. */
  same?: string;
  /** Who qualifies. */
  members: Pred;
}

const ACCEPTED: Accepted[] = [
  // string functions
  { pql: 'homeAddress.city like "%eo%"', members: city((c) => c.includes('eo')) },
  { pql: 'person.name.firstName.startsWith("Joe")', same: 'startsWith(person.name.firstName, "Joe")', members: name((n) => n.startsWith('Joe')) },
  { pql: 'person.name.firstName.startsWith("Joe", true)', same: 'startsWith(person.name.firstName, "Joe")', members: name((n) => n.startsWith('Joe')) },
  { pql: 'person.name.firstName.startsWith("joe", false)', same: 'startsWith(person.name.firstName, "joe", false)', members: name((n) => lc(n).startsWith('joe')) },
  { pql: 'person.name.firstName.doesNotStartWith("Joe")', same: 'doesNotStartWith(person.name.firstName, "Joe")', members: name((n) => !n.startsWith('Joe')) },
  { pql: 'person.name.firstName.doesNotStartWith("joe", false)', members: name((n) => !lc(n).startsWith('joe')) },
  { pql: 'personalEmail.address.endsWith(".com")', same: 'endsWith(personalEmail.address, ".com")', members: email((e) => e.endsWith('.com')) },
  { pql: 'personalEmail.address.endsWith(".com", false)', members: email((e) => lc(e).endsWith('.com')) },
  { pql: 'personalEmail.address.doesNotEndWith(".com")', members: email((e) => !e.endsWith('.com')) },
  { pql: 'personalEmail.address.doesNotEndWith(".COM", false)', members: email((e) => !lc(e).endsWith('.com')) },
  { pql: 'homeAddress.city.contains("eo")', same: 'contains(homeAddress.city, "eo")', members: city((c) => c.includes('eo')) },
  { pql: 'homeAddress.city.contains("EO", false)', members: city((c) => lc(c).includes('eo')) },
  { pql: 'homeAddress.city.doesNotContain("eo")', members: city((c) => !c.includes('eo')) },
  { pql: 'homeAddress.city.doesNotContain("eo", false)', members: city((c) => !lc(c).includes('eo')) },
  { pql: 'homeAddress.city.equals("Seoul")', same: 'homeAddress.city = "Seoul"', members: city((c) => c === 'Seoul') },
  { pql: 'homeAddress.city.equals("seoul", false)', members: city((c) => lc(c) === 'seoul') },
  { pql: 'homeAddress.city.notEqualTo("Seoul")', same: 'homeAddress.city != "Seoul"', members: city((c) => c !== 'Seoul') },
  { pql: 'homeAddress.city.notEqualTo("seoul", false)', members: city((c) => lc(c) !== 'seoul') },
  { pql: 'homeAddress.city.matches("^S")', same: 'matches(homeAddress.city, "^S")', members: city((c) => /^S/.test(c)) },
  { pql: 'homeAddress.city.matches("(?i)^s")', same: 'homeAddress.city.matches("^s", false)', members: city((c) => /^s/i.test(c)) },
  // null functions
  { pql: 'homeAddress.city.isNull()', same: 'isNull(homeAddress.city)', members: (x) => x.city === undefined },
  { pql: 'homeAddress.city.isNotNull()', same: 'isNotNull(homeAddress.city)', members: (x) => x.city !== undefined },
  // array, list and set functions
  { pql: 'consumer.age in [31, 45, 60]', members: age((a) => [31, 45, 60].includes(a)) },
  { pql: 'consumer.age notIn [31, 45, 60]', members: age((a) => ![31, 45, 60].includes(a)) },
  { pql: 'consumer.interests.intersects(["golf", "travel"])', same: 'intersects(consumer.interests, ["golf", "travel"])', members: likes((i) => i.some((v) => v === 'golf' || v === 'travel')) },
  { pql: 'consumer.interests.includes("golf")', same: 'intersects(consumer.interests, ["golf"])', members: likes((i) => i.includes('golf')) },
  // comparison and logical functions
  { pql: 'consumer.age >= 30 and consumer.age < 50', members: age((a) => a >= 30 && a < 50) },
  { pql: 'consumer.age != 45', members: age((a) => a !== 45) },
  { pql: 'homeAddress.city = "Seoul" or homeAddress.city = "Busan"', members: city((c) => c === 'Seoul' || c === 'Busan') },
  { pql: '!(homeAddress.city = "Seoul")', same: 'not (homeAddress.city = "Seoul")', members: (x) => x.city !== 'Seoul' },
  { pql: '!(consumer.age notIn [31, 45, 60])', same: 'not consumer.age notIn [31, 45, 60]', members: (x) => !has(x.age, (a) => ![31, 45, 60].includes(a)) },
  // date and time literals
  { pql: 'consumer.lastPurchaseDate = date(2020, 3, 14)', same: 'consumer.lastPurchaseDate = date("2020-03-14")', members: bought((d) => d === '2020-03-14') },
  { pql: 'consumer.lastPurchaseDate < today', same: 'consumer.lastPurchaseDate < today()', members: bought((d) => d < TODAY) },
  { pql: 'consumer.lastPurchaseDate >= yesterday', same: 'consumer.lastPurchaseDate >= today() - days(1)', members: bought((d) => d > TODAY) },
  { pql: 'consumer.lastPurchaseDate >= today - days(3650) and consumer.lastPurchaseDate <= tomorrow', members: bought((d) => d >= '2019-01-01' && d <= TODAY) },
];

interface Refused {
  pql: string;
  rule: string;
  message: RegExp;
}

const BATCH_ONLY = /prospect audiences are evaluated in batch over prospect attributes only/;
const REFUSED: Refused[] = [
  { pql: 'xEvent.any(X.eventType = "commerce.purchases")', rule: 'event-query', message: /"xEvent.any" is event \(time-series\) data.* at line 1, column 1$/ },
  { pql: 'X.commerce.order.payments.timestamp occurs < 8 days before now', rule: 'event-query', message: /"X.commerce.order.payments.timestamp" is event .* at line 1, column 1$/ },
  { pql: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases")])', rule: 'event-query', message: /chain\(…\) aggregates or sequences events.* at line 1, column 1$/ },
  { pql: 'homeAddress.city = "Seoul" and select X from xEvent where X.commerce.order.priceTotal > 100', rule: 'event-query', message: /select … from … reads event arrays.* at line 1, column 32$/ },
  { pql: 'consumer.age > 30 and count(xEvent) > 3', rule: 'event-query', message: /count\(…\) aggregates .* at line 1, column 23$/ },
  { pql: 'consumer.lastPurchaseDate occurs <= 30 days before today', rule: 'event-query', message: /occurs compares event timestamps.* at line 1, column 27$/ },
  { pql: 'consumer.interests.distinct().count() > 1', rule: 'unsupported', message: /distinct\(…\) is PQL that prospect audiences do not support.* at line 1, column 20$/ },
  { pql: 'consumer.lastPurchaseDate.getMonth() = 6', rule: 'unsupported', message: /getMonth\(…\) is PQL .* at line 1, column 27$/ },
  { pql: 'consumer.lastPurchaseDate <= now', rule: 'type-mismatch', message: /date field: use today\(\) rather than now\(\)/ },
];

beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Pql');
  marketer = await api.keyFor('marketer');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=jsonl&fileName=p.jsonl`).set('Content-Type', 'application/x-ndjson').send(jsonl(prospects)).expect(201);
});
afterAll(async () => api.close());

async function estimate(rule: unknown) {
  const res = await api.as(marketer).post('/v1/audiences/estimate', { rule });
  if (res.status !== 200) throw new Error(`${JSON.stringify(rule)} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { size: number; rule: { text: string; json: unknown } };
}

it('loaded every seeded prospect', async () => {
  expect((await estimate('isNotNull(consumer.age) or isNull(consumer.age)')).size).toBe(prospects.length);
});

describe('Adobe’s documented PQL, accepted', () => {
  it.each(ACCEPTED.map((a) => [a.pql, a] as const))('%s', async (_, a) => {
    const got = await estimate(a.pql);
    const expected = prospects.filter(a.members).map((x) => x.id);
    expect([a.pql, got.size]).toEqual([a.pql, expected.length]);
    // the canonical text parses back to the same rule, and counts the same
    const again = await estimate(got.rule.text);
    expect(again.rule).toEqual(got.rule);
    expect(again.size).toBe(got.size);
    const viaJson = await estimate(got.rule.json);
    expect(viaJson.size).toBe(got.size);
    if (a.same) {
      const fn = await estimate(a.same);
      expect(fn.size).toBe(got.size);
      expect(fn.rule).toEqual(got.rule);
    }
  });

  it('case-insensitive checks count differently from case-sensitive ones on mixed-case data', async () => {
    const pairs: [string, string][] = [
      ['person.name.firstName.startsWith("joe")', 'person.name.firstName.startsWith("joe", false)'],
      ['personalEmail.address.endsWith(".com")', 'personalEmail.address.endsWith(".com", false)'],
      ['homeAddress.city.equals("seoul")', 'homeAddress.city.equals("seoul", false)'],
      ['homeAddress.city.contains("EO")', 'homeAddress.city.contains("EO", false)'],
      ['homeAddress.city.matches("^s")', 'homeAddress.city.matches("(?i)^s")'],
    ];
    for (const [sensitive, insensitive] of pairs) {
      const [a, b] = [await estimate(sensitive), await estimate(insensitive)];
      expect([sensitive, a.size < b.size]).toEqual([sensitive, true]);
    }
    expect((await estimate('homeAddress.city.equals("seoul")')).size).toBe(1);
    expect((await estimate('homeAddress.city.equals("seoul", false)')).size).toBe(3);
  });

  it('the negated string checks and notIn leave out missing values; not / !(…) does not', async () => {
    const named = prospects.filter((x) => x.firstName !== undefined).length;
    const doesNot = await estimate('person.name.firstName.doesNotStartWith("Joe")');
    const notStarts = await estimate('!(person.name.firstName.startsWith("Joe"))');
    const starts = await estimate('person.name.firstName.startsWith("Joe")');
    expect(doesNot.size + starts.size).toBe(named);
    expect(notStarts.size + starts.size).toBe(prospects.length);
    expect((await estimate('consumer.age notIn [31]')).size).toBe(prospects.length - 2); // P1 and P8 (no age)
  });

  it('saves a method-form audience and GET /v1/audiences/{id} gives both forms', async () => {
    const created = await api.as(marketer).post('/v1/audiences', { name: 'Seoul any case', rule: 'homeAddress.city.equals("SEOUL", false) and consumer.interests.includes("golf")' }).expect(201);
    const got = await api.as(marketer).get(`/v1/audiences/${created.body.id}`).expect(200);
    expect(got.body.rule).toEqual({
      text: 'homeAddress.city.equals("SEOUL", false) and intersects(consumer.interests, ["golf"])',
      json: {
        and: [
          { field: 'homeAddress.city', op: '=', value: 'SEOUL', caseSensitive: false },
          { field: 'consumer.interests', op: 'intersects', value: ['golf'] },
        ],
      },
    });
    // the JSON form it answers creates the same audience
    const copy = await api.as(marketer).post('/v1/audiences', { name: 'Seoul any case (json)', rule: got.body.rule.json }).expect(201);
    expect(copy.body.rule).toEqual(got.body.rule);
    expect((await estimate(got.body.rule.json)).size).toBe(2); // P1, P2
  });
});

describe('PQL a prospect audience may not use, refused with why and where', () => {
  it.each(REFUSED.map((r) => [r.pql, r] as const))('%s', async (_, r) => {
    const problem = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: r.pql }), 422);
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0]).toMatchObject({ pointer: '/rule', rule: r.rule });
    expect(problem.errors[0].message).toMatch(r.message);
    if (r.rule === 'event-query') expect(problem.errors[0].message).toMatch(BATCH_ONLY);
  });

  it('refuses caseSensitive on an op without one in the JSON form, at its pointer', async () => {
    const problem = expectProblem(
      await api.as(marketer).post('/v1/audiences/estimate', { rule: { and: [{ field: 'consumer.age', op: '>', value: 1 }, { field: 'homeAddress.city', op: 'in', value: ['Seoul'], caseSensitive: false }] } }),
      422,
    );
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/rule/and/1/caseSensitive', message: expect.stringMatching(/applies to = != startsWith/) })]);
  });
});
