/**
 * The audience rule language read and written: text and JSON forms to one AST, printing, and the
 * request JSON Schema. Type checks and compiled SQL: audiences-rules-check.test.ts.
 */
import { FieldError } from '../src/core/errors';
import { ident } from '../src/core/sql';
import { RequestValidator } from '../src/core/validation';
import { compileRule, fieldsOf, parseRuleJson, parseRuleText, RELATIVE_UNITS, RULE_OPS, RuleAst, RuleLiteral, ruleToJson, ruleToText } from '../src/audiences/rules';
import { cond, num, problemsOf, str } from './helpers/rules';

// ---- parsing ------------------------------------------------------------------------------------

describe('text form', () => {
  it('parses the example rule', () => {
    expect(parseRuleText('age >= 30 and address.city in ["Seoul", "Busan"] and not isNull(income)')).toEqual({
      type: 'and',
      rules: [cond('age', '>=', num(30)), cond('address.city', 'in', [str('Seoul'), str('Busan')]), { type: 'not', rule: cond('income', 'isNull') }],
    });
  });

  it('binds not tighter than and, and tighter than or; parentheses override', () => {
    const a = cond('a', '=', num(1));
    const b = cond('b', '=', num(2));
    const c = cond('c', '=', num(3));
    expect(parseRuleText('a = 1 or b = 2 and c = 3')).toEqual({ type: 'or', rules: [a, { type: 'and', rules: [b, c] }] });
    expect(parseRuleText('a = 1 and b = 2 or c = 3')).toEqual({ type: 'or', rules: [{ type: 'and', rules: [a, b] }, c] });
    expect(parseRuleText('(a = 1 or b = 2) and c = 3')).toEqual({ type: 'and', rules: [{ type: 'or', rules: [a, b] }, c] });
    expect(parseRuleText('not a = 1 and b = 2')).toEqual({ type: 'and', rules: [{ type: 'not', rule: a }, b] });
    expect(parseRuleText('not (a = 1 and b = 2)')).toEqual({ type: 'not', rule: { type: 'and', rules: [a, b] } });
    expect(parseRuleText('not not a = 1')).toEqual({ type: 'not', rule: { type: 'not', rule: a } });
    expect(parseRuleText('((a = 1))')).toEqual(a);
    // Same-kind groups flatten: the canonical AST has one `and` of three.
    expect(parseRuleText('a = 1 and (b = 2 and c = 3)')).toEqual({ type: 'and', rules: [a, b, c] });
    expect(parseRuleText('(a = 1 or b = 2) or c = 3')).toEqual({ type: 'or', rules: [a, b, c] });
  });

  it('reads keywords and function names in any case, field paths as written', () => {
    const ast = parseRuleText('NOT Age >= 30 AND city IN ["x"] Or STARTSWITH(Name, "K") oR name NOTIN ["y"] and ISNOTNULL(x) and flag = TRUE and n LIKE "a%"');
    expect(ruleToText(ast)).toBe('(not Age >= 30 and city in ["x"]) or startsWith(Name, "K") or (name notIn ["y"] and isNotNull(x) and flag = true and n like "a%")');
  });

  it('reads every operator and call', () => {
    const ops: [string, unknown][] = [
      ['x = 1', cond('x', '=', num(1))],
      ['x != 1', cond('x', '!=', num(1))],
      ['x <> 1', cond('x', '!=', num(1))],
      ['x > 1', cond('x', '>', num(1))],
      ['x >= 1', cond('x', '>=', num(1))],
      ['x < 1', cond('x', '<', num(1))],
      ['x <= 1', cond('x', '<=', num(1))],
      ['x like "a_%"', cond('x', 'like', str('a_%'))],
      ['startsWith(x, "a")', cond('x', 'startsWith', str('a'))],
      ['endsWith(x, "a")', cond('x', 'endsWith', str('a'))],
      ['contains(x, "a")', cond('x', 'contains', str('a'))],
      ['matches(x, "^a+$")', cond('x', 'matches', str('^a+$'))],
      ['x in [1, 2]', cond('x', 'in', [num(1), num(2)])],
      ['x notIn [1]', cond('x', 'notIn', [num(1)])],
      ['intersects(x, ["a", "b"])', cond('x', 'intersects', [str('a'), str('b')])],
      ['isNull(x)', cond('x', 'isNull')],
      ['isNotNull(x)', cond('x', 'isNotNull')],
      ['x in []', cond('x', 'in', [])],
    ];
    for (const [text, ast] of ops) expect(parseRuleText(text)).toEqual(ast);
  });

  it('reads literals: escapes, unicode, numbers, booleans, dates and relative dates', () => {
    const v = (text: string) => (parseRuleText(`x = ${text}`) as { value: unknown }).value;
    expect(v('"a\\"b\\\\c\\/d\\n\\t\\r\\b\\f"')).toEqual(str('a"b\\c/d\n\t\r\b\f'));
    expect(v('"\\u00e9\\uD83D\\uDE00"')).toEqual(str('é😀'));
    expect(v('"서울"')).toEqual(str('서울'));
    expect(v('""')).toEqual(str(''));
    expect(v('-42')).toEqual(num(-42));
    expect(v('- 42')).toEqual(num(-42));
    expect(v('3.25')).toEqual(num(3.25));
    expect(v('-0.5')).toEqual(num(-0.5));
    expect(v('1e3')).toEqual(num(1000));
    expect(v('1.5E-7')).toEqual(num(1.5e-7));
    expect(v('-0')).toEqual(num(0));
    expect(Object.is((v('-0') as { value: number }).value, 0)).toBe(true);
    expect(v('9007199254740991')).toEqual(num(9007199254740991));
    expect(v('true')).toEqual({ type: 'boolean', value: true });
    expect(v('False')).toEqual({ type: 'boolean', value: false });
    expect(v('date("2024-02-29")')).toEqual({ type: 'date', value: '2024-02-29' });
    expect(v('DATE("2024-01-31")')).toEqual({ type: 'date', value: '2024-01-31' });
    expect(v('datetime("2024-01-31T10:00:00Z")')).toEqual({ type: 'datetime', value: '2024-01-31T10:00:00Z' });
    expect(v('datetime("2024-01-31T10:00+09:00")')).toEqual({ type: 'datetime', value: '2024-01-31T10:00+09:00' });
    expect(v('datetime("2024-01-31T10:00:00.123456-05:30")')).toEqual({ type: 'datetime', value: '2024-01-31T10:00:00.123456-05:30' });
    expect(v('now()')).toEqual({ type: 'relative', base: 'now', offset: 0, unit: 'days' });
    expect(v('today()')).toEqual({ type: 'relative', base: 'today', offset: 0, unit: 'days' });
    expect(v('now() - days(30)')).toEqual({ type: 'relative', base: 'now', offset: -30, unit: 'days' });
    expect(v('today() + months(1)')).toEqual({ type: 'relative', base: 'today', offset: 1, unit: 'months' });
    expect(v('Today() - Weeks(2)')).toEqual({ type: 'relative', base: 'today', offset: -2, unit: 'weeks' });
    expect(v('now() - years(-1)')).toEqual({ type: 'relative', base: 'now', offset: 1, unit: 'years' });
    expect(v('now() + hours(6)')).toEqual({ type: 'relative', base: 'now', offset: 6, unit: 'hours' });
    expect(v('now() + hours(0)')).toEqual({ type: 'relative', base: 'now', offset: 0, unit: 'days' });
  });

  it('accepts line breaks and any white space between tokens', () => {
    expect(parseRuleText('a = 1\n  and\tb = 2\r\n\u3000or c = 3')).toEqual(parseRuleText('a = 1 and b = 2 or c = 3'));
  });

  const syntax: [string, RegExp][] = [
    ['', /expected a condition.*found the end of the rule at line 1, column 1/],
    ['   ', /expected a condition.* at line 1, column 4/],
    ['x in ["a", "b" and y = 1', /expected "," or "]", found "and" at line 1, column 16/],
    ['x in ["a", "b"', /expected "," or "]", found the end of the rule at line 1, column 15/],
    ['x = 1 and', /expected a condition .*found the end of the rule at line 1, column 10/],
    ['x = 1 y = 2', /expected "and", "or" or the end of the rule, found "y" at line 1, column 7/],
    ['(x = 1', /expected "\)" or "and" \/ "or", found the end of the rule at line 1, column 7/],
    ['x = 1)', /no matching "\(".* at line 1, column 6/],
    ['x', /expected an operator after "x" .* at line 1, column 2/],
    ['x == 1', /equality is "=", not "==" at line 1, column 3/],
    ["x = 'a'", /strings use double quotes.* at line 1, column 5/],
    ['x = "abc', /expected a closing " for the string that starts here at line 1, column 5/],
    ['x = "a\\qb"', /unknown escape "\\q".* at line 1, column 7/],
    ['x = "\\u12"', /four hex digits after \\u at line 1, column 6/],
    ['x = "a\nb"', /control characters .* at line 1, column 7/],
    ['x = "\\u0000"', /NUL .* at line 1, column 5/],
    ['x = "\\uD800"', /unpaired UTF-16 surrogates at line 1, column 5/],
    ['x = null', /there is no null value: use isNull\(field\) .* at line 1, column 5/],
    ['x = y', /expected a value, found the field "y": a rule compares a field with a value/],
    ['x = 1.', /expected a number, found "1\."/],
    ['x = 12abc', /expected a number, found "12a"/],
    ['x = 99999999999999999', /too large/],
    ['x = date("2024-02-30")', /not a calendar date.* at line 1, column 10/],
    ['x = date("2024-1-5")', /not a calendar date/],
    ['x = date(2024)', /expected "," and the month: date\(year, month, day\)/],
    ['x = date(x)', /expected a quoted date/],
    ['x = datetime("2024-01-31T10:00:00")', /with an offset/],
    ['x = datetime("2024-01-31T24:00:00Z")', /with an offset/],
    ['x = now(1)', /"\)": now\(\) takes no arguments/],
    ['x >= now() - fortnights(2)', /expected a unit: hours\(n\), days\(n\)/],
    ['x >= now() - days(1.5)', /whole number between/],
    ['x >= now() - days(200000)', /whole number between/],
    ['x >= now() - days(x)', /expected a whole number, e.g. days\(30\)/],
    ['x in 1', /expected "\[" to start a list, found "1"/],
    ['x in [[1]]', /expected a value/],
    ['x in [1,]', /expected a value .*found "\]"/],
    ['foo(x)', /unknown function "foo": use startsWith/],
    ['constructor(x)', /unknown function "constructor"/],
    ['toString(x, "a")', /unknown function "toString"/],
    ['date("2024-01-01") = x', /date\(…\) is a value: put the field first/],
    ['startsWith(x "a")', /expected "," and a value after the field, found the string "a"/],
    ['isNull(x, 1)', /expected "\)", found ","/],
    ['intersects(x, "a")', /expected "\[" to start a list/],
    ['and = 1', /expected a condition/],
    ['x = 1 and in = 2', /expected a condition/],
    ['startsWith(or, "a")', /expected a field path, found "or"/],
    ['a. b = 1', /expected a field name after "\." .* at line 1, column 3/],
    ['a.1 = 1', /expected a field name after "\."/],
    ['x = 1 && y = 2', /use the keywords and, or, not/],
    ['x = 1;', /unexpected character ";" at line 1, column 6/],
    ['x = 1\nand y ~ 2', /unexpected character "~" at line 2, column 7/],
    ['city = "서울" and 😀', /unexpected character "😀" at line 1, column 17/],
    ['"서울" = x', /expected a condition .*found the string "서울" at line 1, column 1/],
  ];
  it.each(syntax)('rejects %j with a located syntax error', (text, message) => {
    const errors = problemsOf(() => parseRuleText(text));
    expect(errors).toHaveLength(1);
    expect(errors[0].pointer).toBe('/rule');
    expect(errors[0].rule).toBe('syntax');
    expect(errors[0].message).toMatch(message);
  });

  it('uses the caller’s base pointer and limits nesting', () => {
    expect(problemsOf(() => parseRuleText('x =', '/audience/rule'))[0].pointer).toBe('/audience/rule');
    const deep = `${'('.repeat(100)}x = 1${')'.repeat(100)}`;
    expect(problemsOf(() => parseRuleText(deep))[0].message).toMatch(/nests deeper than 64 levels/);
    expect(parseRuleText(`${'('.repeat(60)}x = 1${')'.repeat(60)}`)).toEqual(cond('x', '=', num(1)));
    expect(problemsOf(() => parseRuleText(`${'not '.repeat(100)}x = 1`))[0].message).toMatch(/nests deeper/);
  });
});

describe('JSON form', () => {
  it('parses the example tree', () => {
    const ast = parseRuleJson({
      and: [
        { field: 'consumer.age', op: '>=', value: 30 },
        { field: 'homeAddress.city', op: 'in', value: ['Seoul', 'Busan'] },
        { not: { field: 'consumer.income', op: 'isNull' } },
      ],
    });
    expect(ast).toEqual(parseRuleText('consumer.age >= 30 and homeAddress.city in ["Seoul", "Busan"] and not isNull(consumer.income)'));
  });

  const pairs: [string, unknown][] = [
    ['a = "x"', { field: 'a', op: '=', value: 'x' }],
    ['a != -1.5', { field: 'a', op: '!=', value: -1.5 }],
    ['a > 1 or b < 2', { or: [{ field: 'a', op: '>', value: 1 }, { field: 'b', op: '<', value: 2 }] }],
    ['a >= 1 and (b <= 2 or not c = true)', { and: [{ field: 'a', op: '>=', value: 1 }, { or: [{ field: 'b', op: '<=', value: 2 }, { not: { field: 'c', op: '=', value: true } }] }] }],
    ['a like "%x_"', { field: 'a', op: 'like', value: '%x_' }],
    ['startsWith(a, "서")', { field: 'a', op: 'startsWith', value: '서' }],
    ['endsWith(a, "울")', { field: 'a', op: 'endsWith', value: '울' }],
    ['contains(a, "%")', { field: 'a', op: 'contains', value: '%' }],
    ['matches(a, "^[가-힣]+$")', { field: 'a', op: 'matches', value: '^[가-힣]+$' }],
    ['a in ["x", "y"]', { field: 'a', op: 'in', value: ['x', 'y'] }],
    ['a notIn [1, 2, 3]', { field: 'a', op: 'notIn', value: [1, 2, 3] }],
    ['intersects(a, ["golf"])', { field: 'a', op: 'intersects', value: ['golf'] }],
    ['isNull(a.b.c)', { field: 'a.b.c', op: 'isNull' }],
    ['isNotNull(a)', { field: 'a', op: 'isNotNull' }],
    ['a = date("2024-01-31")', { field: 'a', op: '=', value: { date: '2024-01-31' } }],
    ['a < datetime("2024-01-31T10:00:00Z")', { field: 'a', op: '<', value: { datetime: '2024-01-31T10:00:00Z' } }],
    ['a >= now() - days(30)', { field: 'a', op: '>=', value: { relative: { base: 'now', offset: -30, unit: 'days' } } }],
    ['a <= today() + months(1)', { field: 'a', op: '<=', value: { relative: { base: 'today', offset: 1, unit: 'months' } } }],
    ['a >= today()', { field: 'a', op: '>=', value: { relative: { base: 'today' } } }],
    ['a >= now() - days(2)', { field: 'a', op: '>=', value: { relative: { base: 'now', offset: -2 } } }],
    ['a in [date("2024-01-01"), date("2024-01-02")]', { field: 'a', op: 'in', value: [{ date: '2024-01-01' }, { date: '2024-01-02' }] }],
    ['a = 1 and b = 2 and c = 3', { and: [{ field: 'a', op: '=', value: 1 }, { and: [{ field: 'b', op: '=', value: 2 }, { field: 'c', op: '=', value: 3 }] }] }],
    ['a = 1', { and: [{ or: [{ field: 'a', op: '=', value: 1 }] }] }],
  ];
  it.each(pairs)('%s ≡ its JSON tree (same AST, same SQL)', (text, tree) => {
    const fromText = parseRuleText(text);
    const fromJson = parseRuleJson(tree);
    expect(fromJson).toEqual(fromText);
    const columnOf = (p: string) => ident(p.replace(/\./g, '__'));
    expect(compileRule(fromJson, columnOf)).toEqual(compileRule(fromText, columnOf));
  });

  const bad: [unknown, FieldError[]][] = [
    [null, [{ pointer: '/rule', rule: 'syntax', message: expect.stringMatching(/must be an object/) }]],
    ['x = 1', [{ pointer: '/rule', rule: 'syntax', message: expect.stringMatching(/must be an object/) }]],
    [{ and: [] }, [{ pointer: '/rule/and', rule: 'syntax', message: 'must be a non-empty array of rules' }]],
    [{ or: {} }, [{ pointer: '/rule/or', rule: 'syntax', message: 'must be a non-empty array of rules' }]],
    [{ and: [{ field: 'a', op: '=', value: 1 }], or: [] }, [{ pointer: '/rule/or', rule: 'syntax', message: expect.stringMatching(/not a known property/) }]],
    [{ not: [] }, [{ pointer: '/rule/not', rule: 'syntax', message: expect.stringMatching(/must be an object/) }]],
    [
      { and: [{ field: 'a', op: '=', value: 1 }, { field: 'b', op: 'in', value: 3 }, { field: 'c', op: 'isNull', value: 1 }] },
      [
        { pointer: '/rule/and/1/value', rule: 'syntax', message: 'must be a list of values for in' },
        { pointer: '/rule/and/2/value', rule: 'syntax', message: 'isNull takes no value: leave "value" out' },
      ],
    ],
    [{ field: 'a', op: '=', value: [1] }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/use "in" for a list/) }]],
    [{ field: 'a', op: '=' }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/is required/) }]],
    [{ field: 'a', op: '=', value: null }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/use the op isNull/) }]],
    [{ field: 'a', op: '~', value: 'x' }, [{ pointer: '/rule/op', rule: 'syntax', message: expect.stringMatching(/must be one of = != >/) }]],
    [{ field: 'a', value: 'x' }, [{ pointer: '/rule/op', rule: 'syntax', message: 'is required' }]],
    [{ op: '=', value: 'x' }, [{ pointer: '/rule/field', rule: 'syntax', message: expect.stringMatching(/is required/) }]],
    [{ field: 'a b', op: '=', value: 'x' }, [{ pointer: '/rule/field', rule: 'syntax', message: expect.stringMatching(/not a field path/) }]],
    [{ field: 'IN', op: '=', value: 'x' }, [{ pointer: '/rule/field', rule: 'syntax', message: expect.stringMatching(/keyword/) }]],
    [{ field: 'a', op: '=', value: 'x', extra: 1 }, [{ pointer: '/rule/extra', rule: 'syntax', message: expect.stringMatching(/not a known property/) }]],
    [{ field: 'a', op: 'in', value: [1, [2], null] }, [
      { pointer: '/rule/value/1', rule: 'syntax', message: 'lists may not nest' },
      { pointer: '/rule/value/2', rule: 'syntax', message: expect.stringMatching(/no null value/) },
    ]],
    [{ field: 'a', op: '=', value: { date: '2024-02-30' } }, [{ pointer: '/rule/value/date', rule: 'syntax', message: expect.stringMatching(/not a calendar date/) }]],
    [{ field: 'a', op: '=', value: { datetime: '2024-01-31 10:00' } }, [{ pointer: '/rule/value/datetime', rule: 'syntax', message: expect.stringMatching(/RFC 3339/) }]],
    [{ field: 'a', op: '=', value: { date: '2024-01-01', datetime: 'x' } }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/exactly one of/) }]],
    [{ field: 'a', op: '=', value: { relative: { base: 'yesterday', offset: 1.5, unit: 'decades', x: 1 } } }, [
      { pointer: '/rule/value/relative/x', rule: 'syntax', message: expect.stringMatching(/not a known property/) },
      { pointer: '/rule/value/relative/base', rule: 'syntax', message: 'must be "now" or "today"' },
      { pointer: '/rule/value/relative/offset', rule: 'syntax', message: expect.stringMatching(/whole number/) },
      { pointer: '/rule/value/relative/unit', rule: 'syntax', message: expect.stringMatching(/must be one of hours/) },
    ]],
    [{ field: 'a', op: '=', value: 'a\u0000b' }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/NUL/) }]],
    [{ field: 'a', op: '=', value: 2 ** 60 }, [{ pointer: '/rule/value', rule: 'syntax', message: expect.stringMatching(/too large/) }]],
  ];
  it.each(bad)('rejects %j with pointers into the tree', (tree, expected) => {
    expect(problemsOf(() => parseRuleJson(tree))).toEqual(expected);
  });

  it('reports every structural problem and uses the base pointer', () => {
    const errors = problemsOf(() => parseRuleJson({ or: [{ field: 'a', op: 'like' }, 5, { not: { field: '1x', op: 'isNull' } }] }, '/body/rule'));
    expect(errors.map((e) => e.pointer)).toEqual(['/body/rule/or/0/value', '/body/rule/or/1', '/body/rule/or/2/not/field']);
  });

  it('escapes unknown property names in pointers', () => {
    expect(problemsOf(() => parseRuleJson({ field: 'a', op: 'isNull', 'a/b~c': 1 }))[0].pointer).toBe('/rule/a~1b~0c');
  });

  it('limits nesting', () => {
    let tree: unknown = { field: 'a', op: 'isNull' };
    for (let i = 0; i < 100; i++) tree = { not: tree };
    expect(problemsOf(() => parseRuleJson(tree))[0].message).toMatch(/nests deeper than 64/);
  });
});

// ---- printing -----------------------------------------------------------------------------------

describe('printing', () => {
  const corpus = [
    'age >= 30 and address.city in ["Seoul", "Busan"] and not isNull(income)',
    'a = 1 or b = 2 and c = 3',
    'not (a = 1 or b = 2) and not not c != "x"',
    'name = "say \\"hi\\" \\\\ \\n \\t \\u0001 \\u2028 😀 서울"',
    'n > -1.5e-7 and m < 1e15 and o > 1.25e+15 and k = 9007199254740991 and z = -0',
    'd >= today() - days(30) and t < now() + hours(6) and u > today() + months(1) and v >= now() - years(2) and w = now()',
    'd in [date("2024-01-31"), date("2024-02-29")] and t = datetime("2024-01-31T10:00:00.5+09:00")',
    'x LIKE "50\\\\%" OR STARTSWITH(x, "%_") OR endsWith(x, "\\\\") OR contains(x, "?") OR matches(x, "(?<=a)b")',
    'intersects(tags, ["golf", "여행"]) and tags2 notIn ["a"] and isNotNull(q)',
    '((a = 1 or (b = 2 or c = 3)) and (d = 4 and (e = 5)))',
  ];
  it.each(corpus)('round-trips %s through text and JSON', (text) => {
    const ast = parseRuleText(text);
    const canonical = ruleToText(ast);
    expect(parseRuleText(canonical)).toEqual(ast);
    expect(ruleToText(parseRuleText(canonical))).toBe(canonical);
    const json = JSON.parse(JSON.stringify(ruleToJson(ast)));
    expect(parseRuleJson(json)).toEqual(ast);
    expect(ruleToText(parseRuleJson(json))).toBe(canonical);
  });

  it('prints a canonical form', () => {
    expect(ruleToText(parseRuleText('A.b>=30 AND ( c = "x" OR NOT d<>1 ) and not (e = 1 and f = 2)'))).toBe('A.b >= 30 and (c = "x" or not d != 1) and not (e = 1 and f = 2)');
    expect(ruleToText(parseRuleText('a = 1 or b = 2 and c = 3'))).toBe('a = 1 or (b = 2 and c = 3)');
    expect(ruleToText(parseRuleText('x >= now() + days(-3) and y = today() - days(0)'))).toBe('x >= now() - days(3) and y = today()');
    expect(ruleToJson(parseRuleText('x >= now() - days(3) and not isNull(y)'))).toEqual({
      and: [{ field: 'x', op: '>=', value: { relative: { base: 'now', offset: -3, unit: 'days' } } }, { not: { field: 'y', op: 'isNull' } }],
    });
  });

  it('round-trips generated rules (seeded)', () => {
    // mulberry32: the same 500 rules on every run.
    let seed = 20240131;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const strings = ['', 'a', '서울', '"', '\\', '%_', '?', "'; drop table x; --", '\n\t', '😀', 'K\u0001'];
    const literal = (): RuleLiteral => {
      switch (pick(['string', 'number', 'boolean', 'date', 'datetime', 'relative'] as const)) {
        case 'string':
          return { type: 'string', value: pick(strings) };
        case 'number':
          return { type: 'number', value: pick([0, 1, -1, 30, -2.5, 1e-7, 123456.789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) };
        case 'boolean':
          return { type: 'boolean', value: rand() < 0.5 };
        case 'date':
          return { type: 'date', value: pick(['2024-01-31', '2000-02-29', '0001-01-01', '9999-12-31']) };
        case 'datetime':
          return { type: 'datetime', value: pick(['2024-01-31T10:00:00Z', '2024-01-31T10:00+09:00', '2024-01-31T10:00:00.123456-05:30']) };
        case 'relative': {
          const offset = pick([0, 1, -1, 30, -100000]);
          return { type: 'relative', base: pick(['now', 'today'] as const), offset, unit: offset === 0 ? 'days' : pick(RELATIVE_UNITS) };
        }
      }
    };
    const field = () => pick(['a', 'b.c', '_x.y_1.Z', 'toString', '__proto__', 'In.x']);
    const gen = (depth: number, parent?: 'and' | 'or'): RuleAst => {
      const r = rand();
      if (depth > 0 && r < 0.35) {
        const type = parent === 'and' ? 'or' : parent === 'or' ? 'and' : pick(['and', 'or'] as const);
        return { type, rules: Array.from({ length: 2 + Math.floor(rand() * 3) }, () => gen(depth - 1, type)) };
      }
      if (depth > 0 && r < 0.45) return { type: 'not', rule: gen(depth - 1) };
      const op = pick(RULE_OPS);
      if (op === 'isNull' || op === 'isNotNull') return { type: 'condition', field: field(), op };
      if (op === 'in' || op === 'notIn' || op === 'intersects') return { type: 'condition', field: field(), op, value: Array.from({ length: Math.floor(rand() * 4) }, literal) };
      return { type: 'condition', field: field(), op, value: literal() };
    };
    for (let i = 0; i < 500; i++) {
      const ast = gen(4);
      const text = ruleToText(ast);
      expect([text, parseRuleText(text)]).toEqual([text, ast]);
      expect(parseRuleJson(JSON.parse(JSON.stringify(ruleToJson(ast))))).toEqual(ast);
    }
  });

  it('lists the fields a rule uses once, in order', () => {
    expect(fieldsOf(parseRuleText('b = 1 and (a = 2 or b = 3) and not isNull(c.d) and intersects(a, ["x"])'))).toEqual(['b', 'a', 'c.d']);
  });
});

describe('JSON Schema schemas/audience-rule.json', () => {
  // The real validator: strict ajv over every file in schemas/ (the schema must compile there).
  const validator = new RequestValidator();
  const valid = (tree: unknown) => {
    try {
      validator.check('audience-rule', tree, 'body');
      return true;
    } catch {
      return false;
    }
  };

  it('accepts what ruleToJson prints', () => {
    const rules = [
      'age >= 30 and address.city in ["Seoul", "Busan"] and not isNull(income)',
      'd >= today() - days(30) or t = datetime("2024-01-31T10:00:00Z") or d = date("2024-01-31") or b = false',
      'intersects(tags, ["golf"]) and matches(x, "^a") and x like "%"',
    ];
    for (const text of rules) expect(valid(ruleToJson(parseRuleText(text)))).toBe(true);
    expect(valid({ field: 'a', op: '>=', value: { relative: { base: 'now' } } })).toBe(true);
  });

  it('rejects malformed trees', () => {
    const invalid = [
      {},
      { and: [] },
      { and: [{ field: 'a', op: 'isNull' }], or: [{ field: 'a', op: 'isNull' }] },
      { field: 'a', op: 'isNull', value: 1 },
      { field: 'a', op: 'in', value: 1 },
      { field: 'a', op: 'in', value: [] },
      { field: 'a', op: 'in' },
      { field: 'a', op: '=', value: [1] },
      { field: 'a', op: '=' },
      { field: 'a', op: '=', value: null },
      { field: 'a b', op: '=', value: 1 },
      { field: 'a', op: 'between', value: 1 },
      { field: 'a', op: '=', value: { date: '31/01/2024' } },
      { field: 'a', op: '=', value: { relative: { base: 'now', offset: 1.5 } } },
      { field: 'a', op: '=', value: { relative: { base: 'now', unit: 'decades' } } },
      { not: { field: 'a', op: 'isNull', extra: true } },
    ];
    for (const tree of invalid) expect([tree, valid(tree)]).toEqual([tree, false]);
  });
});
