/**
 * The rule canvas as data, and its two translations: to the API's JSON rule form (with a map from
 * JSON pointers back to canvas nodes, so the API's errors land on the condition they name) and to
 * the PQL text form (README "Prospect audiences", src/audiences/rules/). Parsing text is the
 * API's: POST /v1/audiences/estimate answers the rule's JSON form, which fromJson turns back into
 * the canvas. Pure: no React, no imports (test/console-audience-rule-model.test.ts runs it beside the
 * API's parser).
 */
/** A leaf field as GET /v1/schemas/{id}/fields answers it (the part the canvas needs). */
interface SchemaField {
  path: string;
  type: string;
  format?: string;
  xdmType: string;
  enum?: string[];
  title?: string;
  system: boolean;
  identity?: { primary: boolean };
}

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime' | 'array';

export interface Attribute {
  path: string;
  title: string;
  kind: FieldKind;
  enum?: string[];
  group: string;
  primary: boolean;
}

/** Canvas operators: the API's, plus `between`, `isTrue`/`isFalse` and `inLastDays`, which expand to them. */
export type CanvasOp =
  | '=' | '!=' | '>' | '>=' | '<' | '<=' | 'contains' | 'startsWith' | 'endsWith' | 'like' | 'matches'
  | 'in' | 'notIn' | 'intersects' | 'isNull' | 'isNotNull' | 'between' | 'isTrue' | 'isFalse' | 'inLastDays';

export interface Condition {
  type: 'condition';
  id: string;
  field: string;
  op: CanvasOp;
  value: string;
  value2: string;
  values: string[];
  /** A condition the canvas cannot edit (e.g. `< today() - days(3)`), kept as the API wrote it. */
  raw?: unknown;
}

export interface Group {
  type: 'group';
  id: string;
  combinator: 'and' | 'or';
  /** Exclude: the group is negated (`not (…)`). */
  exclude: boolean;
  children: Node[];
}

export type Node = Condition | Group;

let counter = 0;
export const newNodeId = (): string => `n${++counter}`;

export function emptyGroup(): Group {
  return { type: 'group', id: newNodeId(), combinator: 'and', exclude: false, children: [] };
}

export function attributeKind(f: Pick<SchemaField, 'type' | 'format' | 'xdmType'>): FieldKind {
  if (f.xdmType === 'date' || f.format === 'date') return 'date';
  if (f.xdmType === 'date-time' || f.format === 'date-time') return 'datetime';
  if (f.type === 'integer') return 'integer';
  if (f.type === 'number') return 'number';
  if (f.type === 'boolean') return 'boolean';
  if (f.type === 'array') return 'array';
  return 'string';
}

export const OPS_BY_KIND: Record<FieldKind, CanvasOp[]> = {
  string: ['=', '!=', 'contains', 'startsWith', 'endsWith', 'in', 'notIn', 'matches', 'isNotNull', 'isNull'],
  number: ['=', '!=', '>', '>=', '<', '<=', 'between', 'isNotNull', 'isNull'],
  integer: ['=', '!=', '>', '>=', '<', '<=', 'between', 'isNotNull', 'isNull'],
  boolean: ['isTrue', 'isFalse', 'isNotNull', 'isNull'],
  date: ['=', '<', '>', 'between', 'inLastDays', 'isNotNull', 'isNull'],
  datetime: ['<', '>', 'between', 'inLastDays', 'isNotNull', 'isNull'],
  array: ['intersects', 'isNotNull', 'isNull'],
};

export function newCondition(a: Attribute): Condition {
  return { type: 'condition', id: newNodeId(), field: a.path, op: OPS_BY_KIND[a.kind][0], value: '', value2: '', values: [] };
}

// ---- canvas → JSON ---------------------------------------------------------------------------

export type Json = Record<string, unknown>;
/** Why a condition cannot be sent yet: an i18n key of builder.* */
export type Incomplete = 'valueRequired' | 'numberRequired' | 'integerRequired';

export interface Compiled {
  /** null when the canvas holds no complete condition */
  json: Json | null;
  /** JSON pointer (under /rule) → canvas node id */
  pointers: Map<string, string>;
  incomplete: Map<string, Incomplete>;
}

function literal(kind: FieldKind, v: string): unknown | Incomplete {
  const s = v.trim();
  if (s === '') return 'valueRequired';
  if (kind === 'number' || kind === 'integer') {
    const n = Number(s);
    if (!Number.isFinite(n)) return 'numberRequired';
    if (kind === 'integer' && !Number.isInteger(n)) return 'integerRequired';
    return n;
  }
  if (kind === 'date') return { date: s };
  // <input type="datetime-local"> has no offset: the canvas speaks UTC, as the schedules do.
  if (kind === 'datetime') return { datetime: /Z|[+-]\d\d:\d\d$/.test(s) ? s : `${s.length === 16 ? `${s}:00` : s}Z` };
  return v;
}

const isProblem = (x: unknown): x is Incomplete => x === 'valueRequired' || x === 'numberRequired' || x === 'integerRequired';

function conditionJson(c: Condition, kind: FieldKind): Json | Incomplete {
  if (c.raw !== undefined) return c.raw as Json;
  const f = c.field;
  switch (c.op) {
    case 'isNull':
    case 'isNotNull':
      return { field: f, op: c.op };
    case 'isTrue':
    case 'isFalse':
      return { field: f, op: '=', value: c.op === 'isTrue' };
    case 'in':
    case 'notIn':
    case 'intersects': {
      if (c.values.length === 0) return 'valueRequired';
      const vals = c.values.map((v) => literal(kind === 'array' ? 'string' : kind, v));
      const bad = vals.find(isProblem);
      return bad ? (bad as Incomplete) : { field: f, op: c.op, value: vals };
    }
    case 'between': {
      const lo = literal(kind, c.value);
      const hi = literal(kind, c.value2);
      if (isProblem(lo)) return lo;
      if (isProblem(hi)) return hi;
      return { and: [{ field: f, op: '>=', value: lo }, { field: f, op: '<=', value: hi }] };
    }
    case 'inLastDays': {
      const n = Number(c.value.trim());
      if (c.value.trim() === '' || !Number.isInteger(n) || n < 0) return c.value.trim() === '' ? 'valueRequired' : 'integerRequired';
      return { field: f, op: '>=', value: { relative: { base: kind === 'date' ? 'today' : 'now', offset: -n, unit: 'days' } } };
    }
    default: {
      const v = literal(kind, c.value);
      return isProblem(v) ? v : { field: f, op: c.op, value: v };
    }
  }
}

export function compile(root: Group, kindOf: (path: string) => FieldKind): Compiled {
  const pointers = new Map<string, string>();
  const incomplete = new Map<string, Incomplete>();
  const jsonOf = (n: Node): Json | null => {
    if (n.type === 'condition') {
      const j = conditionJson(n, kindOf(n.field));
      if (typeof j !== 'string') return j;
      incomplete.set(n.id, j);
      return null;
    }
    const kept = n.children.map(jsonOf).filter((j): j is Json => j !== null);
    if (kept.length === 0) return null;
    const body = kept.length === 1 ? kept[0] : { [n.combinator]: kept };
    return n.exclude ? { not: body } : body;
  };
  // Where each kept node landed; a group of one shares its child's pointer (the child wins).
  const place = (n: Node, pointer: string): void => {
    pointers.set(pointer, n.id);
    if (n.type === 'condition') return;
    const kept = n.children.filter((c) => jsonOf(c) !== null);
    const inner = n.exclude ? `${pointer}/not` : pointer;
    if (kept.length === 1) place(kept[0], inner);
    else kept.forEach((c, i) => place(c, `${inner}/${n.combinator}/${i}`));
  };
  const json = jsonOf(root);
  if (json) place(root, '');
  return { json, pointers, incomplete };
}

/** The canvas node an API error pointer (`/rule/and/1/field`) names: the deepest one on its path. */
export function nodeAt(pointers: Map<string, string>, errorPointer: string): string | undefined {
  if (!errorPointer.startsWith('/rule')) return undefined;
  let p = errorPointer.slice('/rule'.length);
  for (;;) {
    const id = pointers.get(p);
    if (id) return id;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

// ---- JSON → text ----------------------------------------------------------------------------

function valueText(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = v as { date?: string; datetime?: string; relative?: { base: string; offset?: number; unit?: string } };
  if (o.date !== undefined) return `date(${JSON.stringify(o.date)})`;
  if (o.datetime !== undefined) return `datetime(${JSON.stringify(o.datetime)})`;
  if (o.relative) {
    const { base, offset = 0, unit = 'days' } = o.relative;
    return offset === 0 ? `${base}()` : `${base}() ${offset < 0 ? '-' : '+'} ${unit}(${Math.abs(offset)})`;
  }
  return JSON.stringify(v);
}

const CALL_OPS = new Set(['startsWith', 'endsWith', 'contains', 'matches']);
/** Ops the canvas cannot edit; the API prints them (and case-insensitive checks) in PQL's method form. */
const METHOD_OPS = new Set(['doesNotStartWith', 'doesNotEndWith', 'doesNotContain']);
const METHOD_NAME: Record<string, string> = { '=': 'equals', '!=': 'notEqualTo' };

/** PQL text of a JSON rule, as the grammar of src/audiences/rules/ reads it. */
export function toText(rule: Json): string {
  if (Array.isArray(rule.and) || Array.isArray(rule.or)) {
    const op = Array.isArray(rule.and) ? 'and' : 'or';
    return (rule[op] as Json[]).map((r) => (r.and || r.or ? `(${toText(r)})` : toText(r))).join(` ${op} `);
  }
  if (rule.not) {
    const inner = rule.not as Json;
    return inner.and || inner.or ? `not (${toText(inner)})` : `not ${toText(inner)}`;
  }
  const { field, op, value, caseSensitive } = rule as { field: string; op: string; value?: unknown; caseSensitive?: boolean };
  if (caseSensitive === false) return `${field}.${METHOD_NAME[op] ?? op}(${valueText(value)}, false)`;
  if (METHOD_OPS.has(op)) return `${field}.${op}(${valueText(value)})`;
  if (op === 'isNull' || op === 'isNotNull') return `${op}(${field})`;
  if (CALL_OPS.has(op)) return `${op}(${field}, ${valueText(value)})`;
  if (op === 'intersects') return `intersects(${field}, [${(value as unknown[]).map(valueText).join(', ')}])`;
  if (op === 'in' || op === 'notIn') return `${field} ${op} [${(value as unknown[]).map(valueText).join(', ')}]`;
  return `${field} ${op} ${valueText(value)}`;
}

// ---- JSON → canvas ---------------------------------------------------------------------------

function editable(v: unknown, kind: FieldKind): string | null {
  if (typeof v === 'string') return kind === 'date' || kind === 'datetime' ? null : v;
  if (typeof v === 'number') return kind === 'number' || kind === 'integer' ? String(v) : null;
  const o = v as { date?: string; datetime?: string } | null;
  if (o && typeof o === 'object' && o.date !== undefined && kind === 'date') return o.date;
  if (o && typeof o === 'object' && o.datetime !== undefined && kind === 'datetime') return o.datetime.replace(/:00Z$|Z$/, '');
  return null;
}

function fromCondition(j: Json, kindOf: (path: string) => FieldKind): Condition {
  const field = String(j.field);
  const op = j.op as CanvasOp;
  const kind = kindOf(field);
  const base: Condition = { type: 'condition', id: newNodeId(), field, op, value: '', value2: '', values: [] };
  const raw = { ...base, raw: j };
  if (op === 'isNull' || op === 'isNotNull') return base;
  // Case-insensitive and doesNot… checks have no canvas control: shown as text, kept as written.
  if (j.caseSensitive === false || METHOD_OPS.has(op)) return raw;
  if (op === '=' && typeof j.value === 'boolean') return { ...base, op: j.value ? 'isTrue' : 'isFalse' };
  if (op === 'in' || op === 'notIn' || op === 'intersects') {
    const values = (j.value as unknown[]).map((v) => editable(v, kind === 'array' ? 'string' : kind));
    return values.every((v) => v !== null) ? { ...base, values: values as string[] } : raw;
  }
  const rel = (j.value as { relative?: { base: string; offset?: number; unit?: string } } | null)?.relative;
  if (rel && op === '>=' && (rel.unit ?? 'days') === 'days' && (rel.offset ?? 0) <= 0 && rel.base === (kind === 'date' ? 'today' : 'now')) {
    return { ...base, op: 'inLastDays', value: String(-(rel.offset ?? 0)) };
  }
  const v = editable(j.value, kind);
  return v === null ? raw : { ...base, value: v };
}

/** A canvas group of the API's canonical JSON; `x >= a and x <= b` side by side becomes `between`. */
export function fromJson(rule: Json, kindOf: (path: string) => FieldKind): Group {
  const group = (combinator: 'and' | 'or', items: Json[], exclude: boolean): Group => {
    const children: Node[] = [];
    for (let i = 0; i < items.length; i++) {
      const a = items[i];
      const b = items[i + 1];
      if (combinator === 'and' && b && a.op === '>=' && b.op === '<=' && a.field === b.field && !a.and && !b.and) {
        const lo = fromCondition(a, kindOf);
        const hi = fromCondition(b, kindOf);
        if (lo.raw === undefined && hi.raw === undefined && lo.op === '>=' && hi.op === '<=') {
          children.push({ ...lo, op: 'between', value2: hi.value });
          i++;
          continue;
        }
      }
      children.push(node(a));
    }
    return { type: 'group', id: newNodeId(), combinator, exclude, children };
  };
  const node = (j: Json): Node => {
    if (Array.isArray(j.and)) return group('and', j.and as Json[], false);
    if (Array.isArray(j.or)) return group('or', j.or as Json[], false);
    if (j.not) {
      const inner = j.not as Json;
      if (Array.isArray(inner.and)) return group('and', inner.and as Json[], true);
      if (Array.isArray(inner.or)) return group('or', inner.or as Json[], true);
      return group('and', [inner], true);
    }
    return fromCondition(j, kindOf);
  };
  const top = node(rule);
  return top.type === 'group' ? top : { type: 'group', id: newNodeId(), combinator: 'and', exclude: false, children: [top] };
}

// ---- edits -----------------------------------------------------------------------------------

export function updateNode(root: Group, id: string, f: (n: Node) => Node | null): Group {
  const walk = (n: Node): Node | null => {
    if (n.id === id) return f(n);
    if (n.type === 'condition') return n;
    return { ...n, children: n.children.map(walk).filter((c): c is Node => c !== null) };
  };
  return (walk(root) as Group | null) ?? emptyGroup();
}

export function findNode(root: Node, id: string): Node | undefined {
  if (root.id === id) return root;
  if (root.type === 'group') for (const c of root.children) {
    const found = findNode(c, id);
    if (found) return found;
  }
  return undefined;
}

export function attributesOf(fields: SchemaField[]): Attribute[] {
  const byPath = new Map<string, Attribute>();
  for (const f of fields) {
    if (f.system || byPath.has(f.path)) continue;
    byPath.set(f.path, {
      path: f.path,
      title: f.title ?? f.path.split('.').at(-1)!,
      kind: attributeKind(f),
      enum: f.enum,
      group: f.path.includes('.') ? f.path.split('.')[0] : '—',
      primary: f.identity?.primary ?? false,
    });
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}
