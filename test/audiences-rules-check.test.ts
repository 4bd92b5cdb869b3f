/**
 * The audience rule language checked and compiled: type checks with pointers, and the compiled SQL
 * (bindings only) run against a real PostgreSQL table with known rows. Parsing: audiences-rules.test.ts.
 */
import knexFactory from 'knex';
import { ident } from '../src/core/sql';
import { checkRule, compileRule, MAX_LIST_VALUES, parseRuleJson, parseRuleText, regexProblem, RuleAst, RuleField, ruleErrors, ruleToJson } from '../src/audiences/rules';
import { openTestDatabase } from './helpers/harness';
import { problemsOf } from './helpers/rules';

// ---- parsing ------------------------------------------------------------------------------------

// ---- type checking --------------------------------------------------------------------------------

const FIELDS = new Map<string, RuleField>(
  (
    [
      { path: 'person.name', kind: 'string', classKind: 'prospect' },
      { path: 'homeAddress.city', kind: 'string', classKind: 'prospect' },
      { path: 'consumer.age', kind: 'integer', classKind: 'prospect' },
      { path: 'consumer.income', kind: 'number', classKind: 'prospect' },
      { path: 'consumer.optIn', kind: 'boolean', classKind: 'prospect' },
      { path: 'person.birthDate', kind: 'date', classKind: 'prospect' },
      { path: 'lastSeen', kind: 'date-time', classKind: 'prospect' },
      { path: 'interests', kind: 'string[]', classKind: 'prospect' },
      { path: 'extra', kind: 'json', classKind: 'prospect' },
      { path: 'loyalty.tier', kind: 'string', classKind: 'first_party' },
      { path: '_repo.createDate', kind: 'date-time', classKind: 'prospect', system: true },
      { path: 'web.pageViews', kind: 'integer', classKind: 'prospect', timeSeries: true },
    ] satisfies RuleField[]
  ).map((f) => [f.path, f]),
);

describe('checkRule', () => {
  const ok = [
    'person.name = "Kim" and homeAddress.city in ["서울"] and startsWith(person.name, "K") and person.name like "K%" and matches(person.name, "^K")',
    'person.name > "A" and contains(person.name, "%") and endsWith(person.name, "_")',
    'consumer.age >= 30 and consumer.age > 29.5 and consumer.age in [30, 31] and consumer.age notIn [1]',
    'consumer.income < 1000.5 and consumer.income in [1.5, 2] and consumer.income != 3',
    'consumer.optIn = true and consumer.optIn != false',
    'person.birthDate >= date("1990-01-01") and person.birthDate <= today() - years(18) and person.birthDate in [date("2000-01-01")]',
    'lastSeen >= now() - hours(6) and lastSeen >= today() - days(2) and lastSeen < datetime("2030-01-01T00:00:00Z") and lastSeen > date("2020-01-01")',
    'lastSeen in [datetime("2024-01-01T00:00:00Z")] and lastSeen <= now()',
    'intersects(interests, ["golf", "travel"]) and isNull(interests) or isNotNull(extra) and not isNull(consumer.age)',
  ];
  it.each(ok)('accepts %s', (text) => {
    expect(ruleErrors(parseRuleText(text), FIELDS)).toEqual([]);
    expect(() => checkRule(parseRuleText(text), FIELDS)).not.toThrow();
  });

  const typeErrors: [string, string, RegExp][] = [
    ['consumer.age >= "thirty"', 'type-mismatch', /"consumer\.age" is an integer field: compare it with a whole number such as 30, not the string "thirty" \(line 1, column 17\)/],
    ['consumer.age = 30.5', 'type-mismatch', /30\.5 is not a whole number/],
    ['consumer.age in [1, 2.5]', 'type-mismatch', /2\.5 is not a whole number \(line 1, column 21\)/],
    ['consumer.income = true', 'type-mismatch', /a number field: compare it with a number/],
    ['person.name = 1', 'type-mismatch', /"person\.name" is a string field: compare it with a "string", not the number 1/],
    ['consumer.age like "3%"', 'type-mismatch', /like does not apply to "consumer\.age", an integer field: it applies to string fields only \(line 1, column 14\)/],
    ['startsWith(consumer.income, "1")', 'type-mismatch', /startsWith does not apply/],
    ['contains(interests, "golf")', 'type-mismatch', /use intersects\(interests, \["…"\]\)/],
    ['person.name like 5', 'type-mismatch', /like on "person\.name" needs a "string", not the number 5/],
    ['intersects(person.name, ["a"])', 'type-mismatch', /intersects applies to string-array fields; "person\.name" is a string field: use person\.name in \[\.\.\.\]/],
    ['intersects(interests, ["a", 1])', 'type-mismatch', /intersects compares "interests" with strings, not the number 1 \(line 1, column 29\)/],
    ['interests = "golf"', 'type-mismatch', /string-array field: use intersects/],
    ['interests in ["golf"]', 'type-mismatch', /use intersects/],
    ['consumer.optIn > false', 'type-mismatch', /takes = and != only/],
    ['consumer.optIn in [true]', 'type-mismatch', /use consumer\.optIn = true/],
    ['consumer.optIn = "yes"', 'type-mismatch', /boolean field: compare it with true or false/],
    ['extra = "x"', 'type-mismatch', /only isNull and isNotNull apply/],
    ['person.birthDate >= "2024-01-31"', 'type-mismatch', /write date\("2024-01-31"\) instead of the string/],
    ['person.birthDate >= now() - days(1)', 'type-mismatch', /use today\(\) rather than now\(\)/],
    ['person.birthDate >= today() - hours(1)', 'type-mismatch', /not hours/],
    ['person.birthDate = datetime("2024-01-31T00:00:00Z")', 'type-mismatch', /write date\("2024-01-31"\) instead of a datetime/],
    ['person.birthDate >= 20240131', 'type-mismatch', /compare it with date\("2024-01-31"\) or a relative date/],
    ['person.birthDate in [today()]', 'type-mismatch', /lists take fixed values/],
    ['lastSeen >= "2024-01-31T10:00:00Z"', 'type-mismatch', /write datetime\("2024-01-31T10:00:00Z"\) instead of the string/],
    ['lastSeen in [date("2024-01-31")]', 'type-mismatch', /a list for it takes datetime\("…"\) values/],
    ['lastSeen in [now()]', 'type-mismatch', /lists take fixed values/],
    ['matches(person.name, "(")', 'regex', /does not compile/],
    ['matches(person.name, "\\\\bKim\\\\b")', 'regex', /use \\y/],
    ['matches(person.name, "(?<first>K)")', 'regex', /named groups/],
    ['matches(person.name, "\\\\p{L}")', 'regex', /Unicode property classes/],
    ['matches(person.name, "")', 'regex', /empty/],
    ['person.name like "abc\\\\"', 'pattern', /may not end with a single \\/],
    ['person.name in []', 'list-size', /the in list is empty/],
    ['intersects(interests, [])', 'list-size', /the intersects list is empty/],
    ['loyalty.tier = "gold"', 'first-party-field', /"loyalty\.tier" is a first-party field: prospect audiences use attributes of the prospect class only \(line 1, column 1\)/],
    ['_repo.createDate >= now()', 'system-field', /system field/],
    ['web.pageViews > 3', 'time-series-field', /time-series \(event\) data: prospect audiences are evaluated in batch/],
    ['consumer.agee >= 30', 'unknown-field', /unknown field "consumer\.agee"; did you mean "consumer\.age"\? \(line 1, column 1\)/],
    ['city = "x"', 'unknown-field', /did you mean "homeAddress\.city"\?/],
    ['completely.different = 1', 'unknown-field', /unknown field "completely\.different": use a field of the account's profile-enabled prospect schemas/],
  ];
  it.each(typeErrors)('rejects %s (%s)', (text, rule, message) => {
    const errors = problemsOf(() => checkRule(parseRuleText(text), FIELDS));
    expect(errors).toEqual([{ pointer: '/rule', rule, message: expect.stringMatching(message) }]);
  });

  it('points at the exact JSON node and reports every problem', () => {
    const tree = {
      and: [
        { field: 'consumer.agee', op: '>=', value: 30 },
        { field: 'consumer.age', op: '>=', value: 'thirty' },
        { or: [{ field: 'consumer.age', op: 'like', value: '3%' }, { not: { field: 'loyalty.tier', op: 'isNull' } }] },
        { field: 'consumer.age', op: 'in', value: [1, 'two', 3.5] },
        { field: 'person.name', op: 'matches', value: '(?<n>x)' },
        { field: 'person.name', op: 'in', value: [] },
        { field: '_repo.createDate', op: 'isNull' },
        { field: 'web.pageViews', op: 'isNotNull' },
      ],
    };
    const errors = problemsOf(() => checkRule(parseRuleJson(tree, '/body/rule'), FIELDS, '/body/rule'));
    expect(errors.map(({ pointer, rule }) => [pointer, rule])).toEqual([
      ['/body/rule/and/0/field', 'unknown-field'],
      ['/body/rule/and/1/value', 'type-mismatch'],
      ['/body/rule/and/2/or/0/op', 'type-mismatch'],
      ['/body/rule/and/2/or/1/not/field', 'first-party-field'],
      ['/body/rule/and/3/value/1', 'type-mismatch'],
      ['/body/rule/and/3/value/2', 'type-mismatch'],
      ['/body/rule/and/4/value', 'regex'],
      ['/body/rule/and/5/value', 'list-size'],
      ['/body/rule/and/6/field', 'system-field'],
      ['/body/rule/and/7/field', 'time-series-field'],
    ]);
    // JSON messages carry no line/column.
    expect(errors[0].message).toBe('unknown field "consumer.agee"; did you mean "consumer.age"?');
  });

  it('keeps the original JSON pointers when groups are flattened', () => {
    const tree = { and: [{ and: [{ field: 'nope', op: 'isNull' }] }, { or: [{ field: 'consumer.age', op: '=', value: 'x' }] }] };
    const ast = parseRuleJson(tree);
    expect(ast.type).toBe('and');
    expect(ruleErrors(ast, FIELDS).map((e) => e.pointer)).toEqual(['/rule/and/0/and/0/field', '/rule/and/1/or/0/value']);
    // An AST built by hand (no origin) gets structural pointers.
    const built: RuleAst = { type: 'or', rules: [{ type: 'condition', field: 'x', op: 'isNull' }, { type: 'not', rule: { type: 'condition', field: 'y', op: 'isNull' } }] };
    expect(ruleErrors(built, FIELDS).map((e) => e.pointer)).toEqual(['/rule/or/0/field', '/rule/or/1/not/field']);
  });

  it('reports every problem of a text rule with its line and column', () => {
    const text = 'consumer.agee >= 30 and\n  person.name = 5 and loyalty.tier = "x"\n  and intersects(interests, ["a", 2])';
    const errors = problemsOf(() => checkRule(parseRuleText(text), FIELDS, '/audience/rule'));
    expect(errors).toEqual([
      { pointer: '/audience/rule', rule: 'unknown-field', message: expect.stringMatching(/"consumer\.agee".*\(line 1, column 1\)$/) },
      { pointer: '/audience/rule', rule: 'type-mismatch', message: expect.stringMatching(/"person\.name".*\(line 2, column 17\)$/) },
      { pointer: '/audience/rule', rule: 'first-party-field', message: expect.stringMatching(/"loyalty\.tier".*\(line 2, column 23\)$/) },
      { pointer: '/audience/rule', rule: 'type-mismatch', message: expect.stringMatching(/not the number 2 \(line 3, column 35\)$/) },
    ]);
  });

  it('limits lists to 1000 values', () => {
    const list = (n: number) => `[${Array.from({ length: n }, (_, i) => `"v${i}"`).join(', ')}]`;
    expect(ruleErrors(parseRuleText(`person.name in ${list(MAX_LIST_VALUES)}`), FIELDS)).toEqual([]);
    expect(problemsOf(() => checkRule(parseRuleText(`person.name notIn ${list(1001)}`), FIELDS))).toEqual([
      { pointer: '/rule', rule: 'list-size', message: expect.stringMatching(/the notIn list has 1001 values; at most 1000 are allowed/) },
    ]);
    const tree = { field: 'interests', op: 'intersects', value: Array.from({ length: 1001 }, (_, i) => `v${i}`) };
    expect(ruleErrors(parseRuleJson(tree), FIELDS)).toEqual([{ pointer: '/rule/value', rule: 'list-size', message: expect.any(String) }]);
  });

  it('checks regular expressions for PostgreSQL', () => {
    expect(regexProblem('^[가-힣]+$')).toBeNull();
    expect(regexProblem('[\\b]')).toBeNull(); // backspace inside brackets means the same in both
    expect(regexProblem('\\yKim\\y')).toBeNull();
    expect(regexProblem('(?<=a)b')).toBeNull();
    expect(regexProblem('(?<!a)b')).toBeNull();
    expect(regexProblem('a'.repeat(1001))).toMatch(/longer than 1000/);
    expect(regexProblem('\\k<x>')).toMatch(/named back-references/);
    expect(regexProblem('[(?<n>]x')).toBeNull(); // inside brackets it is just characters
  });
});

// ---- SQL ------------------------------------------------------------------------------------------------

describe('compileRule', () => {
  const columnOf = (path: string) => ident(path.replace(/\./g, '__'));
  const knex = knexFactory({ client: 'pg' });
  afterAll(() => knex.destroy());

  it('compiles each operator to a bound predicate', () => {
    const c = (text: string) => compileRule(parseRuleText(text), columnOf);
    expect(c('a = "x"')).toEqual({ sql: '("a" = ?::text)', bindings: ['x'] });
    expect(c('a != 3')).toEqual({ sql: '("a" <> ?::bigint)', bindings: [3] });
    expect(c('a > 2.5')).toEqual({ sql: '("a" > ?::numeric)', bindings: [2.5] });
    expect(c('a < "m"')).toEqual({ sql: '(("a" collate "C") < ?::text)', bindings: ['m'] });
    expect(c('a = true')).toEqual({ sql: '("a" = ?::boolean)', bindings: [true] });
    expect(c('a >= date("2024-01-31")')).toEqual({ sql: '("a" >= ?::date)', bindings: ['2024-01-31'] });
    expect(c('a >= datetime("2024-01-31T10:00:00Z")')).toEqual({ sql: '("a" >= ?::timestamptz)', bindings: ['2024-01-31T10:00:00Z'] });
    expect(c('a >= now()')).toEqual({ sql: '("a" >= now())', bindings: [] });
    expect(c('a >= today()')).toEqual({ sql: '("a" >= current_date)', bindings: [] });
    expect(c('a >= now() - days(30)')).toEqual({ sql: '("a" >= (now() + make_interval(days => ?::integer)))', bindings: [-30] });
    expect(c('a >= today() + months(1)')).toEqual({ sql: '("a" >= (current_date + make_interval(months => ?::integer))::date)', bindings: [1] });
    expect(c('a >= today() + hours(1)')).toEqual({ sql: '("a" >= (current_date + make_interval(hours => ?::integer)))', bindings: [1] });
    expect(c('a like "x%"')).toEqual({ sql: `("a" like ?::text escape '\\')`, bindings: ['x%'] });
    expect(c('startsWith(a, "5%_\\\\")')).toEqual({ sql: `("a" like ?::text escape '\\')`, bindings: ['5\\%\\_\\\\%'] });
    expect(c('endsWith(a, "x")').bindings).toEqual(['%x']);
    expect(c('contains(a, "x")').bindings).toEqual(['%x%']);
    expect(c('matches(a, "^x")')).toEqual({ sql: '("a" ~ ?::text)', bindings: ['^x'] });
    expect(c('a in ["x", "y"]')).toEqual({ sql: '("a" = any(?::text[]))', bindings: [['x', 'y']] });
    expect(c('a notIn [1, 2]')).toEqual({ sql: '("a" <> all(?::bigint[]))', bindings: [[1, 2]] });
    expect(c('a in [1, 2.5]')).toEqual({ sql: '("a" = any(?::numeric[]))', bindings: [[1, 2.5]] });
    expect(c('a in [date("2024-01-01")]')).toEqual({ sql: '("a" = any(?::date[]))', bindings: [['2024-01-01']] });
    expect(c('intersects(a, ["x"])')).toEqual({ sql: '("a" && ?::text[])', bindings: [['x']] });
    expect(c('isNull(a.b)')).toEqual({ sql: '("a__b" is null)', bindings: [] });
    expect(c('isNotNull(a)')).toEqual({ sql: '("a" is not null)', bindings: [] });
    expect(c('a = 1 and (b = 2 or not c = 3)')).toEqual({
      sql: '(("a" = ?::bigint) and (("b" = ?::bigint) or ((("c" = ?::bigint)) is not true)))',
      bindings: [1, 2, 3],
    });
  });

  const hostile = [
    "'); drop table x; --",
    '"',
    '\\',
    '%',
    '_',
    '$1',
    '?',
    '??',
    '\\?',
    ':name',
    "'' or 1=1 --",
    '서울 😀 \u2028 \t\n',
    '*/ select pg_sleep(10); /*',
  ];

  it('never puts user text into SQL: hostile strings come back as bindings', () => {
    for (const s of hostile) {
      const text = `a = ${JSON.stringify(s)} or startsWith(a, ${JSON.stringify(s)}) or a in [${JSON.stringify(s)}] or matches(a, ${JSON.stringify('x')}) or a like ${JSON.stringify(s + 'x')}`;
      const { sql, bindings } = compileRule(parseRuleText(text), columnOf);
      expect(sql).toBe(`(("a" = ?::text) or ("a" like ?::text escape '\\') or ("a" = any(?::text[])) or ("a" ~ ?::text) or ("a" like ?::text escape '\\'))`);
      expect(bindings[0]).toBe(s);
      expect(bindings[2]).toEqual([s]);
      // knex sees exactly one placeholder per binding, whatever the values contain.
      const native = knex.raw(sql, bindings as never[]).toSQL().toNative();
      expect(native.sql).toBe(`(("a" = $1::text) or ("a" like $2::text escape '\\') or ("a" = any($3::text[])) or ("a" ~ $4::text) or ("a" like $5::text escape '\\'))`);
      expect(native.bindings).toEqual(bindings);
    }
  });

  it('escapes ? in column expressions for knex', () => {
    const { sql, bindings } = compileRule(parseRuleText('a = "x?"'), () => ident('we?ird'));
    expect(sql).toBe('("we\\?ird" = ?::text)');
    expect(knex.raw(sql, bindings as never[]).toSQL().toNative()).toEqual({ sql: '("we?ird" = $1::text)', bindings: ['x?'] });
    expect(() => compileRule(parseRuleText('a = 1'), () => '"a\\?"')).toThrow(/knex cannot express/);
  });

  it('gives the text and JSON forms of one rule the same SQL', () => {
    const text = 'consumer.age >= 30 and homeAddress.city in ["Seoul", "Busan"] and not isNull(consumer.income) and lastSeen >= now() - days(7)';
    const json = {
      and: [
        { field: 'consumer.age', op: '>=', value: 30 },
        { field: 'homeAddress.city', op: 'in', value: ['Seoul', 'Busan'] },
        { not: { field: 'consumer.income', op: 'isNull' } },
        { field: 'lastSeen', op: '>=', value: { relative: { base: 'now', offset: -7, unit: 'days' } } },
      ],
    };
    expect(compileRule(parseRuleJson(json), columnOf)).toEqual(compileRule(parseRuleText(text), columnOf));
  });
});

// ---- against PostgreSQL -----------------------------------------------------------------------------

describe('rules against PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  const TABLE = 'rule_people';

  const COLUMNS: Record<string, { column: string; kind: RuleField['kind']; type: string }> = {
    name: { column: 'name', kind: 'string', type: 'text' },
    city: { column: 'home__city', kind: 'string', type: 'text' },
    age: { column: 'age', kind: 'integer', type: 'bigint' },
    income: { column: 'income', kind: 'number', type: 'double precision' },
    optIn: { column: 'opt_in', kind: 'boolean', type: 'boolean' },
    birthDate: { column: 'birth_date', kind: 'date', type: 'date' },
    visited: { column: 'visited', kind: 'date', type: 'date' },
    signupAt: { column: 'signup_at', kind: 'date-time', type: 'timestamptz' },
    lastSeen: { column: 'last_seen', kind: 'date-time', type: 'timestamptz' },
    interests: { column: 'interests', kind: 'string[]', type: 'text[]' },
    extra: { column: 'extra', kind: 'json', type: 'jsonb' },
  };
  const fields = new Map<string, RuleField>(Object.entries(COLUMNS).map(([path, c]) => [path, { path, kind: c.kind, classKind: 'prospect' }]));
  const columnOf = (path: string) => ident(COLUMNS[path].column);

  async function ids(rule: string | object): Promise<number[]> {
    const ast = typeof rule === 'string' ? parseRuleText(rule) : parseRuleJson(rule);
    checkRule(ast, fields);
    const { sql, bindings } = compileRule(ast, columnOf);
    const { rows } = await database.db.raw(`select id from ${ident(TABLE)} where ${sql} order by id`, bindings as never[]);
    const fromText = (rows as { id: number }[]).map((r) => r.id);
    // The canonical text and the JSON form select the same rows.
    if (typeof rule === 'string') expect(await ids(ruleToJson(ast))).toEqual(fromText);
    return fromText;
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    const db = database.db;
    await db.raw(`create table ${ident(TABLE)} (id integer primary key, ${Object.values(COLUMNS).map((c) => `${ident(c.column)} ${c.type}`).join(', ')})`);
    // Relative columns are set from the database clock so the expectations hold on any day.
    await db.raw(`
      insert into ${ident(TABLE)} (id, name, home__city, age, income, opt_in, birth_date, visited, signup_at, last_seen, interests, extra) values
      (1, 'Kim Minji',  '서울',    34,   52000.5, true,  '1990-05-01', current_date,       '2024-01-31T10:00:00Z',      now() - interval '2 hours',  '{golf,travel}', '{"a":1}'),
      (2, 'Lee Jun',    'Busan',   25,   31000,   false, '1999-12-31', current_date - 10,  '2024-01-31T09:59:59Z',      now() - interval '10 days',  '{music}',       null),
      (3, 'park seo',   'Seoul',   41,   null,    null,  null,         current_date - 40,  '2024-02-01T00:00:00+09:00', now() - interval '40 days',  '{travel,food}', null),
      (4, '50% off_deal', 'Incheon', null, 12000.25, true, '2000-02-29', current_date + 5,  '2023-12-31T23:59:59Z',     null,                         '{}',            null),
      (5, 'KIM minji',  'seoul',   30,   0,       false, '2006-01-01', current_date - 400, null,                        now() - interval '400 days', null,            null),
      (6, null,         null,      null, null,    null,  null,         null,               null,                        null,                         null,            null)`);
  });
  afterAll(async () => {
    await database.close();
  });

  it('compares strings case-sensitively, ordered by code point', async () => {
    expect(await ids('name = "Kim Minji"')).toEqual([1]);
    expect(await ids('name != "Kim Minji"')).toEqual([2, 3, 4, 5]); // null names never match
    expect(await ids('name < "L"')).toEqual([1, 4, 5]); // '5' < 'K' < 'L' < 'p'
    expect(await ids('name >= "a"')).toEqual([3]);
    expect(await ids('city = "서울"')).toEqual([1]);
    expect(await ids('city > "Z"')).toEqual([1, 5]); // lowercase and Hangul sort after Latin capitals
  });

  it('compares numbers, booleans and dates', async () => {
    expect(await ids('age >= 30')).toEqual([1, 3, 5]);
    expect(await ids('age > 29.5 and age < 30.5')).toEqual([5]);
    expect(await ids('age = 30')).toEqual([5]);
    expect(await ids('age != 30')).toEqual([1, 2, 3]);
    expect(await ids('age <= 25')).toEqual([2]);
    expect(await ids('income > 12000.25')).toEqual([1, 2]);
    expect(await ids('income = 12000.25')).toEqual([4]);
    expect(await ids('income >= -1')).toEqual([1, 2, 4, 5]);
    expect(await ids('income = 0')).toEqual([5]);
    expect(await ids('optIn = true')).toEqual([1, 4]);
    expect(await ids('optIn != true')).toEqual([2, 5]);
    expect(await ids('birthDate = date("2000-02-29")')).toEqual([4]);
    expect(await ids('birthDate < date("2000-01-01")')).toEqual([1, 2]);
    expect(await ids('signupAt >= datetime("2024-01-31T10:00:00Z")')).toEqual([1, 3]);
    expect(await ids('signupAt = datetime("2024-01-31T15:00:00Z")')).toEqual([3]);
    expect(await ids('signupAt = datetime("2024-02-01T00:00:00.000+09:00")')).toEqual([3]);
    expect(await ids('signupAt < datetime("2024-01-31T19:00:00+09:00")')).toEqual([2, 4]);
    expect(await ids('signupAt >= date("2024-01-01")')).toEqual([1, 2, 3]);
  });

  it('matches LIKE patterns and literal prefixes, suffixes and substrings', async () => {
    expect(await ids('name like "K%"')).toEqual([1, 5]);
    expect(await ids('name like "%minji"')).toEqual([5]);
    expect(await ids('name like "_ee%"')).toEqual([2]);
    expect(await ids('name like "50\\\\% off%"')).toEqual([4]); // \% is a literal percent sign
    expect(await ids('name like "50% off"')).toEqual([]);
    expect(await ids('startsWith(name, "Kim")')).toEqual([1]);
    expect(await ids('startsWith(name, "50%")')).toEqual([4]);
    expect(await ids('startsWith(name, "5_")')).toEqual([]); // _ is literal here
    expect(await ids('contains(name, "_")')).toEqual([4]);
    expect(await ids('contains(name, "%")')).toEqual([4]);
    expect(await ids('contains(name, "in")')).toEqual([1, 5]);
    expect(await ids('endsWith(name, "deal")')).toEqual([4]);
    expect(await ids('endsWith(city, "울")')).toEqual([1]);
  });

  it('matches PostgreSQL regular expressions', async () => {
    expect(await ids('matches(name, "^K")')).toEqual([1, 5]);
    expect(await ids('matches(name, "^[A-Z][a-z]+ ")')).toEqual([1, 2]);
    expect(await ids('matches(city, "^[가-힣]+$")')).toEqual([1]);
    expect(await ids('matches(name, "\\\\d+%")')).toEqual([4]);
    expect(await ids('matches(name, "\\\\yoff")')).toEqual([4]);
    expect(await ids('matches(name, "(?<=Kim )M")')).toEqual([1]); // PostgreSQL has lookbehind too
    expect(await ids('matches(name, "(?!Kim)K")')).toEqual([5]);
  });

  it('selects by lists', async () => {
    expect(await ids('city in ["Seoul", "Busan"]')).toEqual([2, 3]);
    expect(await ids('city notIn ["Seoul", "Busan"]')).toEqual([1, 4, 5]); // null city never matches
    expect(await ids('age in [25, 34]')).toEqual([1, 2]);
    expect(await ids('income in [0, 12000.25]')).toEqual([4, 5]);
    expect(await ids('birthDate in [date("1990-05-01"), date("2006-01-01")]')).toEqual([1, 5]);
    expect(await ids('signupAt in [datetime("2024-01-31T10:00:00Z"), datetime("2024-02-01T00:00:00+09:00")]')).toEqual([1, 3]);
    expect(await ids('intersects(interests, ["travel", "music"])')).toEqual([1, 2, 3]);
    expect(await ids('intersects(interests, ["food"])')).toEqual([3]);
  });

  it('selects from large lists in one binding', async () => {
    const values = Array.from({ length: MAX_LIST_VALUES }, (_, i) => `city-${i}`);
    values[777] = 'Busan';
    expect(await ids({ field: 'city', op: 'in', value: values })).toEqual([2]);
    const ages = Array.from({ length: MAX_LIST_VALUES }, (_, i) => i + 100);
    ages[999] = 41;
    const ast = parseRuleJson({ field: 'age', op: 'notIn', value: ages });
    expect(compileRule(ast, columnOf).bindings).toHaveLength(1);
    expect(await ids({ field: 'age', op: 'notIn', value: ages })).toEqual([1, 2, 5]);
  });

  it('tests for missing values', async () => {
    expect(await ids('isNull(age)')).toEqual([4, 6]);
    expect(await ids('isNotNull(age)')).toEqual([1, 2, 3, 5]);
    expect(await ids('isNull(interests)')).toEqual([5, 6]);
    expect(await ids('isNotNull(extra)')).toEqual([1]);
  });

  it('negates two-valued: not X selects exactly the rows X does not, nulls included', async () => {
    const all = [1, 2, 3, 4, 5, 6];
    const rules = ['age >= 30', 'city != "Seoul"', 'city notIn ["Busan"]', 'optIn = true', 'name like "K%"', 'intersects(interests, ["golf"])', 'age >= 30 or income > 20000', 'age >= 30 and isNotNull(income)'];
    for (const rule of rules) {
      const yes = await ids(rule);
      const no = await ids(`not (${rule})`);
      expect([...yes, ...no].sort()).toEqual(all);
      expect(yes.filter((id) => no.includes(id))).toEqual([]);
    }
    expect(await ids('not (age >= 30)')).toEqual([2, 4, 6]);
    expect(await ids('not not (age >= 30)')).toEqual([1, 3, 5]);
    expect(await ids('not (age >= 30 and not (city = "Seoul"))')).toEqual([2, 3, 4, 6]);
  });

  it('honours precedence and parentheses', async () => {
    expect(await ids('age >= 30 or optIn = true and city = "Incheon"')).toEqual([1, 3, 4, 5]);
    expect(await ids('(age >= 30 or optIn = true) and city = "Incheon"')).toEqual([4]);
    expect(await ids('not optIn = true and age < 30')).toEqual([2]);
    expect(await ids('age >= 30 and city in ["서울", "Seoul"] or isNull(name)')).toEqual([1, 3, 6]);
  });

  it('computes relative dates in the database', async () => {
    expect(await ids('visited >= today() - days(30)')).toEqual([1, 2, 4]);
    expect(await ids('visited >= today() - days(30) and visited <= today()')).toEqual([1, 2]);
    expect(await ids('visited = today()')).toEqual([1]);
    expect(await ids('visited = today() - days(10)')).toEqual([2]);
    expect(await ids('visited > today()')).toEqual([4]);
    expect(await ids('visited >= today() - weeks(6)')).toEqual([1, 2, 3, 4]);
    expect(await ids('visited < today() - months(12)')).toEqual([5]);
    expect(await ids('visited >= today() - years(1)')).toEqual([1, 2, 3, 4]);
    expect(await ids('lastSeen >= now() - hours(3)')).toEqual([1]);
    expect(await ids('lastSeen >= now() - days(30)')).toEqual([1, 2]);
    expect(await ids('lastSeen < now() - days(30) and lastSeen >= now() - years(1)')).toEqual([3]);
    expect(await ids('lastSeen <= now()')).toEqual([1, 2, 3, 5]);
    expect(await ids('lastSeen >= today() - days(11)')).toEqual([1, 2]);
    expect(await ids('birthDate <= today() - years(18)')).toEqual([1, 2, 4, 5]);
  });

  it('keeps the window moving: the SQL holds no timestamps', async () => {
    const { sql, bindings } = compileRule(parseRuleText('lastSeen >= now() - days(7) and visited >= today() - months(1)'), columnOf);
    expect(sql).toContain('now() + make_interval(days => ?::integer)');
    expect(sql).toContain('current_date + make_interval(months => ?::integer)');
    expect(bindings).toEqual([-7, -1]);
  });

  it('finds hostile strings exactly, as data', async () => {
    const strings = [
      "'); drop table rule_people; --",
      '"',
      '\\',
      '\\\\',
      '%',
      '_',
      '$1',
      '?',
      '??',
      '\\?',
      ':name',
      "' or '1'='1",
      '{a,b}',
      '"{}"',
      'NULL',
      '서울특별시 😀',
      '\u2028\t\n',
    ];
    await database.db.raw('create table hostile (id integer primary key, s text, tags text[])');
    await database.db('hostile').insert(strings.map((s, i) => ({ id: i + 1, s, tags: [s, 'x'] })));
    const hostileFields = new Map<string, RuleField>([
      ['s', { path: 's', kind: 'string', classKind: 'prospect' }],
      ['tags', { path: 'tags', kind: 'string[]', classKind: 'prospect' }],
    ]);
    const select = async (text: string) => {
      const ast = parseRuleText(text);
      checkRule(ast, hostileFields);
      const { sql, bindings } = compileRule(ast, (p) => ident(p));
      const { rows } = await database.db.raw(`select id from hostile where ${sql} order by id`, bindings as never[]);
      return (rows as { id: number }[]).map((r) => r.id);
    };
    for (const [i, s] of strings.entries()) {
      const lit = JSON.stringify(s);
      expect([s, await select(`s = ${lit}`)]).toEqual([s, [i + 1]]);
      expect([s, await select(`s in [${lit}]`)]).toEqual([s, [i + 1]]);
      expect([s, await select(`startsWith(s, ${lit}) and endsWith(s, ${lit}) and contains(s, ${lit})`)]).toEqual([
        s,
        strings.flatMap((t, j) => (t.startsWith(s) && t.endsWith(s) ? [j + 1] : [])),
      ]);
      expect([s, await select(`intersects(tags, [${lit}])`)]).toEqual([s, [i + 1]]);
    }
    expect(await select(`s in [${strings.map((s) => JSON.stringify(s)).join(', ')}]`)).toEqual(strings.map((_, i) => i + 1));
    expect(await select(`s notIn [${strings.map((s) => JSON.stringify(s)).join(', ')}]`)).toEqual([]);
    // The table is still there and intact.
    const [{ n }] = (await database.db.raw(`select count(*)::int as n from ${ident(TABLE)}`)).rows;
    expect(n).toBe(6);
  });

  it('reads columns whose quoted names hold a question mark', async () => {
    // knex reads ? as a placeholder in every raw statement, hence \\? in hand-written SQL too.
    const quoted = ident('we?ird').replace('?', '\\?');
    await database.db.raw(`create table odd (${quoted} text)`);
    await database.db.raw(`insert into odd (${quoted}) values (?), (?)`, ['a?', 'b']);
    expect((await database.db.raw(`select attname from pg_attribute where attrelid = 'odd'::regclass and attnum > 0`)).rows).toEqual([{ attname: 'we?ird' }]);
    const { sql, bindings } = compileRule(parseRuleText('x = "a?" or x = "?"'), () => ident('we?ird'));
    const { rows } = await database.db.raw(`select ${quoted} as v from odd where ${sql}`, bindings as never[]);
    expect(rows).toEqual([{ v: 'a?' }]);
  });
});
