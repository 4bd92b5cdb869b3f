/**
 * The console's rule canvas (console/src/screens/audiences/builder/model.ts) against the API's
 * own parser (src/audiences/rules/): the JSON a canvas compiles to and the PQL text it prints
 * are the same rule; the API's canonical JSON draws back as the same canvas; API error pointers
 * land on the condition they name.
 */
import { compile, Condition, emptyGroup, FieldKind, fromJson, Group, Json, newNodeId, nodeAt, toText } from '../console/src/screens/audiences/builder/model';
import { parseRuleJson, parseRuleText, ruleToJson } from '../src/audiences/rules';

const KINDS: Record<string, FieldKind> = {
  'homeAddress.city': 'string',
  'consumer.age': 'integer',
  'consumer.income': 'number',
  'person.birthDate': 'date',
  'consumer.interests': 'array',
  'consumer.optIn': 'boolean',
  '_repo.modifyDate': 'datetime',
};
const kindOf = (p: string) => KINDS[p] ?? 'string';

function cond(field: string, op: Condition['op'], value = '', extra: Partial<Condition> = {}): Condition {
  return { type: 'condition', id: newNodeId(), field, op, value, value2: '', values: [], ...extra };
}

function group(combinator: 'and' | 'or', children: Group['children'], exclude = false): Group {
  return { ...emptyGroup(), combinator, exclude, children };
}

const canvas = group('and', [
  cond('homeAddress.city', 'in', '', { values: ['Seoul', 'Busan "남"'] }),
  cond('consumer.age', 'between', '30', { value2: '39' }),
  cond('consumer.optIn', 'isTrue'),
  cond('person.birthDate', 'inLastDays', '30'),
  group('or', [cond('consumer.interests', 'intersects', '', { values: ['golf'] }), cond('homeAddress.city', 'startsWith', 'Da')], true),
  cond('_repo.modifyDate', '>', '2026-01-31T10:00'),
  cond('consumer.income', 'isNull'),
]);

it('compiles to JSON and prints text that the API parses to the same rule', () => {
  const { json, incomplete } = compile(canvas, kindOf);
  expect(incomplete.size).toBe(0);
  const fromJsonForm = ruleToJson(parseRuleJson(json));
  const fromTextForm = ruleToJson(parseRuleText(toText(json!)));
  expect(fromTextForm).toEqual(fromJsonForm);
  expect(toText(json!)).toContain('consumer.age >= 30 and consumer.age <= 39');
  expect(toText(json!)).toContain('not (intersects(consumer.interests, ["golf"]) or startsWith(homeAddress.city, "Da"))');
  expect(toText(json!)).toContain('person.birthDate >= today() - days(30)');
});

it('draws the API’s canonical JSON back as the same canvas (between, booleans, last N days, exclude groups)', () => {
  const canonical = ruleToJson(parseRuleJson(compile(canvas, kindOf).json)) as Json;
  const drawn = fromJson(canonical, kindOf);
  const ops = drawn.children.map((c) => (c.type === 'condition' ? c.op : `group:${c.combinator}:${c.exclude}`));
  expect(ops).toEqual(['in', 'between', 'isTrue', 'inLastDays', 'group:or:true', '>', 'isNull']);
  expect(ruleToJson(parseRuleJson(compile(drawn, kindOf).json))).toEqual(canonical);
});

it('keeps what the canvas cannot edit as it is, and holds back incomplete conditions', () => {
  const canonical = ruleToJson(parseRuleText('person.birthDate < today() - days(3) and consumer.age > 1')) as Json;
  const drawn = fromJson(canonical, kindOf);
  expect((drawn.children[0] as Condition).raw).toBeDefined();
  expect(compile(drawn, kindOf).json).toEqual(canonical);
  const partial = group('and', [cond('consumer.age', '>=', 'x'), cond('homeAddress.city', '=', 'Seoul')]);
  const compiled = compile(partial, kindOf);
  expect([...compiled.incomplete.values()]).toEqual(['numberRequired']);
  expect(compiled.json).toEqual({ field: 'homeAddress.city', op: '=', value: 'Seoul' });
});

it('maps API error pointers to the condition they name', () => {
  const a = cond('homeAddress.city', '=', 'Seoul');
  const b = cond('consumer.age', 'between', '1', { value2: '2' });
  const c = cond('homeAddress.city', 'matches', 'a{256}');
  const root = group('and', [a, b, group('or', [c], true)]);
  const { pointers } = compile(root, kindOf);
  expect(nodeAt(pointers, '/rule/and/0/value')).toBe(a.id);
  expect(nodeAt(pointers, '/rule/and/1/and/1/value')).toBe(b.id);
  expect(nodeAt(pointers, '/rule/and/2/not/value')).toBe(c.id);
  expect(nodeAt(pointers, '/rule')).toBe(root.id);
});
