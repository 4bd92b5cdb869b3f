/**
 * `matches` patterns are run by PostgreSQL, so PostgreSQL judges them: a pattern JavaScript accepts
 * but PostgreSQL refuses (a{256}, \1 with no group, [[:foo:]]…) is a 422 naming the rule field and
 * quoting PostgreSQL at create, update and estimate — not a 500, not a saved audience that cannot
 * run. An audience saved before this check fails its evaluation in plain words, never with SQL.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
let marketer: string;

const FIELD = 'person.name.firstName';

/** Valid JavaScript, refused by PostgreSQL (its message as the test database's PostgreSQL words it). */
const REFUSED_BY_POSTGRES: [string, string][] = [
  ['a{256}', 'invalid regular expression: invalid repetition count(s)'],
  ['a{1,1000}', 'invalid regular expression: invalid repetition count(s)'],
  ['[[:foo:]]', 'invalid regular expression: invalid character class'],
  ['\\1', 'invalid regular expression: invalid backreference number'],
  ['(a)\\2', 'invalid regular expression: invalid backreference number'],
  ['\\8', 'invalid regular expression: invalid backreference number'],
  ['\\xZZ', 'invalid regular expression: invalid escape \\ sequence'],
  ['\\Q', 'invalid regular expression: invalid escape \\ sequence'],
  ['\\u{1F600}', 'invalid regular expression: invalid escape \\ sequence'],
  ['[\\d-z]', 'invalid regular expression: invalid character range'],
  ['[\\w-z]', 'invalid regular expression: invalid character range'],
];

/** Refused before PostgreSQL is asked (JavaScript cannot compile them, or they mean something else there). */
const REFUSED_BY_CHECKER = ['a**', 'a++', 'a{2,1}', '[z-a]', 'x{1}{2}', '^*', '(?<name>x)', '\\p{L}', '\\k<x>', '\\bKim\\b', '('];

/** Both engines accept these; PostgreSQL runs them. */
const ACCEPTED = ['(?<=a)b', '(?<!a)b', 'a{255}', 'a{,5}', '[[:alpha:]]', '[[:word:]]', '\\yMin', '(n)\\1', '^[가-힣]+$', '\\d{0,3}'];

const people = [
  { id: 'R1', firstName: 'Minjun' },
  { id: 'R2', firstName: 'Jiwoo' },
  { id: 'R3', firstName: 'Minseo' },
  { id: 'R4', firstName: 'Anna' },
  { id: 'R5' },
];

const textRule = (pattern: string) => `matches(${FIELD}, ${JSON.stringify(pattern)})`;
/** 1-based column of the pattern's opening quote in textRule. */
const valueColumn = (pattern: string) => textRule(pattern).indexOf('"') + 1;

async function evaluate(audienceId: string) {
  const started = await api.as(marketer).post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  return eventually(async () => {
    const res = await api.as(marketer).get(`/v1/audiences/${audienceId}/evaluations/${started.body.id}`).expect(200);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, 'the evaluation to finish', 10_000);
}

/** Saves an audience the way an older version could have: straight into its table, unchecked. */
async function preSaved(name: string, ruleText: string, rule: unknown): Promise<string> {
  const id = `aud_presaved_${name.replace(/\W/g, '').toLowerCase()}`;
  await api.db('audiences').insert({ id, ad_account_id: api.adAccountId, name, status: 'draft', rule_text: ruleText, rule: JSON.stringify(rule) });
  return id;
}

/** Words that would mean the message shows the statement or our storage. */
const INTERNALS = /\bselect\b|\binsert\b|\bunion\b|\bwhere\b|::text|audience_members|audience_evaluations|cdp_data|_cdp_/i;

beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Rx');
  marketer = await api.keyFor('marketer');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(people)).expect(201);
});
afterAll(async () => api.close());

describe('a pattern PostgreSQL refuses', () => {
  it.each(REFUSED_BY_POSTGRES)('%s: 422 at create (text and JSON), with PostgreSQL\'s words and the place', async (pattern, postgres) => {
    const name = `Refused ${pattern}`;
    const text = expectProblem(await api.as(marketer).post('/v1/audiences', { name, rule: textRule(pattern) }), 422);
    expect(text.errors).toEqual([{ pointer: '/rule', rule: 'regex', message: expect.stringContaining(postgres) }]);
    expect(text.errors[0].message).toMatch(new RegExp(`^${escapeRe(postgres)}; .+ \\(line 1, column ${valueColumn(pattern)}\\)$`));
    expect(text.detail).toContain(postgres);

    const json = expectProblem(await api.as(marketer).post('/v1/audiences', { name, rule: { field: FIELD, op: 'matches', value: pattern } }), 422);
    expect(json.errors).toEqual([{ pointer: '/rule/value', rule: 'regex', message: expect.stringMatching(new RegExp(`^${escapeRe(postgres)}; `)) }]);

    const saved = await api.db('audiences').where({ ad_account_id: api.adAccountId, name });
    expect(saved).toEqual([]);
  });

  it.each(REFUSED_BY_POSTGRES)('%s: 422 at estimate', async (pattern, postgres) => {
    const text = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: textRule(pattern) }), 422);
    expect(text.errors).toEqual([{ pointer: '/rule', rule: 'regex', message: expect.stringContaining(`(line 1, column ${valueColumn(pattern)})`) }]);
    expect(text.errors[0].message.startsWith(postgres)).toBe(true);
    const json = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: { not: { field: FIELD, op: 'matches', value: pattern } } }), 422);
    expect(json.errors).toEqual([{ pointer: '/rule/not/value', rule: 'regex', message: expect.stringMatching(new RegExp(`^${escapeRe(postgres)}`)) }]);
  });

  it.each(REFUSED_BY_POSTGRES)('%s: 422 at update, and the audience keeps its rule', async (pattern, postgres) => {
    const created = await api.as(marketer).post('/v1/audiences', { name: `Updated to ${pattern}`, rule: textRule('^Min') }).expect(201);
    const res = expectProblem(await api.as(marketer).patch(`/v1/audiences/${created.body.id}`, { rule: textRule(pattern) }), 422);
    expect(res.errors).toEqual([{ pointer: '/rule', rule: 'regex', message: expect.stringContaining(postgres) }]);
    const after = await api.as(marketer).get(`/v1/audiences/${created.body.id}`).expect(200);
    expect(after.body.rule).toEqual(created.body.rule);
    expect(after.body.updatedAt).toBe(created.body.updatedAt);
  });

  it('points at each refused pattern of a rule, and only at those', async () => {
    const rule = {
      or: [
        { field: FIELD, op: 'matches', value: '^Min' },
        { field: FIELD, op: 'matches', value: 'a{256}' },
        { and: [{ field: 'homeAddress.city', op: 'matches', value: '[[:foo:]]' }, { field: FIELD, op: 'isNotNull' }] },
      ],
    };
    const res = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule }), 422);
    expect(res.errors.map((e: { pointer: string; rule: string }) => [e.pointer, e.rule])).toEqual([
      ['/rule/or/1/value', 'regex'],
      ['/rule/or/2/and/0/value', 'regex'],
    ]);
    expect(res.errors[0].message).toContain('invalid repetition count(s)');
    expect(res.errors[1].message).toContain('invalid character class');
  });

  it.each(REFUSED_BY_CHECKER)('%s: still 422 with rule "regex" (refused before PostgreSQL)', async (pattern) => {
    const res = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: textRule(pattern) }), 422);
    expect(res.errors).toEqual([{ pointer: '/rule', rule: 'regex', message: expect.stringContaining(`(line 1, column ${valueColumn(pattern)})`) }]);
  });

  it('refuses a pattern longer than 1000 characters', async () => {
    const res = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: { field: FIELD, op: 'matches', value: 'a'.repeat(1001) } }), 422);
    expect(res.errors).toEqual([{ pointer: '/rule/value', rule: 'regex', message: expect.stringMatching(/longer than 1000 characters/) }]);
  });
});

describe('a pattern PostgreSQL accepts', () => {
  it.each(ACCEPTED)('%s: estimates and saves', async (pattern) => {
    await api.as(marketer).post('/v1/audiences/estimate', { rule: textRule(pattern) }).expect(200);
    await api.as(marketer).post('/v1/audiences', { name: `Accepted ${pattern}`, rule: { field: FIELD, op: 'matches', value: pattern } }).expect(201);
  });

  it('selects the same members at estimate and evaluation', async () => {
    const rule = textRule('^(Min|Ji)[a-z]{2,3}$');
    const estimate = await api.as(marketer).post('/v1/audiences/estimate', { rule }).expect(200);
    expect(estimate.body.size).toBe(3);
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Min or Ji', rule }).expect(201);
    const e = await evaluate(a.body.id);
    expect(e).toEqual(expect.objectContaining({ status: 'success', error: null }));
    expect(e.counts.members).toBe(3);
  });
});

describe('an audience saved before the check', () => {
  it('fails its evaluation saying the pattern is invalid, without SQL', async () => {
    const id = await preSaved('Old a{256}', textRule('a{256}'), { field: FIELD, op: 'matches', value: 'a{256}' });
    const shown = await api.as(marketer).get(`/v1/audiences/${id}`).expect(200);
    expect(shown.body.rule.text).toBe(textRule('a{256}'));

    const e = await evaluate(id);
    expect(e.status).toBe('failed');
    expect(e.error).toContain('invalid regular expression: invalid repetition count(s)');
    expect(e.error).not.toMatch(INTERNALS);
    const again = await api.as(marketer).get(`/v1/audiences/${id}`).expect(200);
    expect(again.body.lastEvaluation.error).toBe(e.error);
  });

  it('fails an evaluation the database cannot run with a general message, without SQL', async () => {
    const id = await preSaved('Old city', 'homeAddress.city = "Seoul"', { field: 'homeAddress.city', op: '=', value: 'Seoul' });
    // The prospect table out of reach for a moment: the database itself fails the evaluation.
    const [{ table_name: table }] = await api.db('datasets').where({ id: p.datasetId }).select('table_name');
    await api.db.raw(`alter table cdp_data.${table} rename to ${table}_away`);
    let e;
    try {
      e = await evaluate(id);
    } finally {
      await api.db.raw(`alter table cdp_data.${table}_away rename to ${table}`);
    }
    expect(e.status).toBe('failed');
    expect(e.error).toMatch(/internal error/);
    expect(e.error).not.toMatch(INTERNALS);
    expect(e.error).not.toContain(table);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
