/**
 * Audience insights (issue 16 §3), what Segment Engage and Adobe users ask of an audience before
 * and after saving it:
 * - sample: N qualifying profiles with their merged attributes (Adobe's "View profiles");
 * - breakdown: members by identity namespace (which vendor) and by one attribute — top values with
 *   "other" for strings and booleans, equal-width bins for numbers and dates — nulls apart;
 * - overlap: the exact size of every region of 2–3 saved audiences' latest snapshots.
 *
 * Every figure is an exact count, each one SQL statement inside PostgreSQL. Attribute values are
 * the merged profile's (per namespace, each profile-enabled prospect dataset's current record, the
 * most recently merged batch's non-null value winning: profiles/merge.ts), as the profile
 * view, the evaluation and the export merge. A rule's breakdown reads the rule's fields and the
 * broken-down field in one pass (one GROUP BY identity, or a plain scan when one dataset holds them
 * all); a saved audience's breakdown joins its snapshot to the merged values.
 */
import { Db } from '../core/db';
import { Conflict, ruleError } from '../core/errors';
import { ident } from '../core/sql';
import type { Caller } from '../core/types';
import { qualifiedData, SYS, type ValueKind } from '../datasets/storage';
import { mergedProfilesSql } from '../profiles/merge';
import type { NamespaceService } from '../namespaces/service';
import { compileRule } from './rules';
import type { AudienceService } from './service';
import type { RuleCatalog } from './types';

export const SAMPLE_DEFAULT = 10;
export const SAMPLE_MAX = 50;
/** Fields a sample shows when none are asked for (the first prospect fields of the catalog). */
export const SAMPLE_DEFAULT_FIELDS = 20;
export const SAMPLE_MAX_FIELDS = 50;
export const TOP_DEFAULT = 10;
export const TOP_MAX = 50;
export const BINS_DEFAULT = 10;
export const BINS_MAX = 50;

type Rule = string | Record<string, unknown>;
interface Fragment {
  sql: string;
  bindings: unknown[];
}
interface NamespaceRef {
  id: string;
  code: string;
  name: string;
}

export interface SampleProfile {
  namespace: NamespaceRef;
  identity: string;
  /** Field path → merged value (null when no record holds one); dates as ISO strings. */
  attributes: Record<string, unknown>;
}

export interface SampleResult {
  fields: string[];
  items: SampleProfile[];
}

export interface ValuesBreakdown {
  field: string;
  kind: ValueKind;
  type: 'values';
  /** Members whose merged value is null. */
  nulls: number;
  /** Most frequent values first (ties by value). */
  values: { value: string | boolean; count: number }[];
  /** Members with a value outside `values`. */
  other: number;
  distinct: number;
}

export interface HistogramBreakdown {
  field: string;
  kind: ValueKind;
  type: 'histogram';
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  /**
   * Equal width: integers and dates (days) in whole units, each bin's `from`–`to` inclusive; numbers
   * and times (seconds) as a real width, `from` ≤ v < `to`, the last bin including max.
   */
  binWidth: number | null;
  bins: { from: number | string; to: number | string; count: number }[];
}

export interface BreakdownResult {
  total: number;
  evaluationId?: string;
  byNamespace: { namespace: NamespaceRef; count: number }[];
  attribute?: ValuesBreakdown | HistogramBreakdown;
}

export interface OverlapResult {
  audiences: { id: string; name: string; evaluationId: string; evaluatedAt: string | null; size: number }[];
  /** Every region: members of exactly the audiences in `in` (the others in `notIn`). */
  regions: { in: string[]; notIn: string[]; count: number }[];
  union: number;
}

interface BreakdownInput {
  field?: string;
  top?: number;
  bins?: number;
}

const VISIBLE = `${ident(SYS.current)} and ${ident(SYS.profile)}`;
const VALUE_KINDS: ValueKind[] = ['string', 'boolean'];
const HISTOGRAM_KINDS: ValueKind[] = ['integer', 'number', 'date', 'date-time'];

export class InsightService {
  constructor(
    private readonly db: Db,
    private readonly audiences: AudienceService,
    private readonly namespaces: NamespaceService,
  ) {}

  // ---- sample ----------------------------------------------------------------------------------

  /** Up to `limit` profiles the rule selects now, with the merged values of `fields`. */
  async sampleRule(caller: Caller, input: { rule: Rule; limit?: number; fields?: string[] }): Promise<SampleResult> {
    return this.sample(caller, await this.sampleRuleStatement(caller, input));
  }

  /**
   * The one statement of a rule's sample (the benchmark also times it alone). Per namespace: when
   * one dataset holds the rule's fields and the fields shown, one scan of it with the rule's
   * predicate, stopped at `limit`; otherwise the namespace's first `limit` members, then the merged
   * values of just those identities. The namespaces are read in turn until `limit` are found.
   */
  async sampleRuleStatement(caller: Caller, input: { rule: Rule; limit?: number; fields?: string[] }): Promise<Fragment & { fields: string[] }> {
    const limit = checkRange(input.limit, SAMPLE_DEFAULT, 1, SAMPLE_MAX, '/limit');
    const catalog = await this.audiences.ruleCatalog(caller);
    const fields = sampleFields(catalog, input.fields);
    const resolved = await this.audiences.resolveRule(caller, input.rule, '/rule', catalog, fields);
    const datasetsOf = new Map<string, string[]>();
    for (const p of resolved.plans) datasetsOf.set(p.namespaceId, [...new Set([...(datasetsOf.get(p.namespaceId) ?? []), p.datasetId])]);
    const v = (i: number) => ident(`v${i}`);
    const parts: string[] = [];
    const bindings: unknown[] = [];
    for (const src of resolved.sources) {
      const datasetIds = datasetsOf.get(src.namespaceId) ?? [];
      if (datasetIds.length === 1) {
        const [d] = datasetIds;
        const col = (path: string) => columnOf(catalog, d, path) ?? absent(catalog, path);
        const predicate = compileRule(resolved.ast, col);
        parts.push(`(select ?::text as namespace_id, ${ident(SYS.identity)} as identity${fields.map((f, i) => `, to_jsonb(${col(f)}) as ${v(i)}`).join('')}
          from ${qualifiedData(tableOf(catalog, d))} where ${VISIBLE} and (${predicate.sql}) limit ?)`);
        bindings.push(src.namespaceId, ...predicate.bindings, limit);
        continue;
      }
      const merged = mergedValues(catalog, src.namespaceId, fields, (alias) => `${alias}.${ident(SYS.identity)} in (select identity from m)`);
      parts.push(`(with m as materialized (select s.identity from (${src.sql}) s limit ?)
          select ?::text as namespace_id, m.identity${fields.map((_f, i) => `, ${merged ? `to_jsonb(x.${v(i)})` : 'null::jsonb'} as ${v(i)}`).join('')}
          from m${merged ? ` left join (${merged.sql}) x on x.identity = m.identity` : ''})`);
      bindings.push(...src.bindings, limit, src.namespaceId, ...(merged?.bindings ?? []));
    }
    if (parts.length === 0) return { sql: `select null::text as namespace_id, null::text as identity where false`, bindings: [], fields };
    // Append stops once `limit` rows came: later namespaces are not read.
    const sql = `select * from (select * from (${parts.join('\nunion all\n')}) u limit ?) s order by namespace_id, identity`;
    return { sql, bindings: [...bindings, limit], fields };
  }

  /** Up to `limit` members of a saved audience's latest successful evaluation, with their merged values now. */
  async sampleAudience(caller: Caller, audienceId: string, input: { limit?: number; fields?: string[] }): Promise<SampleResult> {
    const limit = checkRange(input.limit, SAMPLE_DEFAULT, 1, SAMPLE_MAX, '/limit');
    const evaluationId = await this.evaluated(caller, audienceId, '/params/id');
    const catalog = await this.audiences.ruleCatalog(caller);
    const fields = sampleFields(catalog, input.fields);
    return this.sample(caller, sampleStatement(catalog, snapshotSql(caller, evaluationId), limit, fields));
  }

  private async sample(caller: Caller, { sql, bindings, fields }: Fragment & { fields: string[] }): Promise<SampleResult> {
    // The namespaces' names are read beside the statement, not after it.
    const [result, ns] = await Promise.all([this.db.raw(sql, bindings as never[]), this.namespaceRefs(caller)]);
    const rows: Record<string, unknown>[] = result.rows;
    return {
      fields,
      items: rows.map((r) => ({
        namespace: ns(r.namespace_id as string),
        identity: r.identity as string,
        attributes: Object.fromEntries(fields.map((f, i) => [f, r[`v${i}`] ?? null])),
      })),
    };
  }

  // ---- breakdown -------------------------------------------------------------------------------

  /** Who a rule selects now, by namespace and, when `field` is given, by that attribute. */
  async breakdownRule(caller: Caller, input: BreakdownInput & { rule: Rule }): Promise<BreakdownResult> {
    const catalog = await this.audiences.ruleCatalog(caller);
    const field = input.field === undefined ? undefined : breakableField(catalog, input.field, '/field');
    const opts = breakdownOptions(input);
    const resolved = await this.audiences.resolveRule(caller, input.rule, '/rule', catalog, field ? [field.path] : []);
    // resolveRule's plans are per namespace the datasets membership reads plus those holding `field`.
    const byNamespace = new Map<string, string[]>();
    for (const p of resolved.plans) byNamespace.set(p.namespaceId, [...new Set([...(byNamespace.get(p.namespaceId) ?? []), p.datasetId])]);
    const parts: string[] = [];
    const bindings: unknown[] = [];
    // Each namespace is keyed by its position, a literal: grouping by a constant costs nothing, by a
    // bound text value it does (the planner cannot see it is one value).
    const keys: string[] = [];
    for (const [namespaceId, datasetIds] of byNamespace) {
      const key = keys.push(namespaceId) - 1;
      const wanted = field && !resolved.fields.includes(field.path) ? [...resolved.fields, field.path] : resolved.fields;
      const alias = (path: string) => ident(`v${wanted.indexOf(path)}`);
      const valueOf = (col: (path: string) => string) => (field ? col(field.path) : 'null::text');
      if (datasetIds.length === 1) {
        const [d] = datasetIds;
        const col = (path: string) => columnOf(catalog, d, path) ?? absent(catalog, path);
        const predicate = compileRule(resolved.ast, col);
        parts.push(`select ${key} as namespace_id, ${valueOf(col)} as value from ${qualifiedData(tableOf(catalog, d))} where ${VISIBLE} and (${predicate.sql})`);
        bindings.push(...predicate.bindings);
        continue;
      }
      const merged = mergedProfilesSql(datasetIds.map((d) => ({ table: tableOf(catalog, d), values: wanted.map((path) => columnOf(catalog, d, path)) })), wanted.map((path) => absent(catalog, path)));
      const predicate = compileRule(resolved.ast, (path) => `m.${alias(path)}`);
      parts.push(`select ${key} as namespace_id, ${valueOf((path) => `m.${alias(path)}`)} as value from (${merged}) m where (${predicate.sql})`);
      bindings.push(...predicate.bindings);
    }
    const x: Fragment = parts.length ? { sql: parts.join('\nunion all\n'), bindings } : { sql: `select null::int as namespace_id, ${field ? absent(catalog, field.path) : 'null::text'} as value where false`, bindings: [] };
    return this.breakdown(caller, x, field, opts, keys);
  }

  /** A saved audience's latest successful evaluation by namespace and, when `field` is given, by that attribute (merged values now). */
  async breakdownAudience(caller: Caller, audienceId: string, input: BreakdownInput): Promise<BreakdownResult> {
    const evaluationId = await this.evaluated(caller, audienceId, '/params/id');
    const catalog = await this.audiences.ruleCatalog(caller);
    const field = input.field === undefined ? undefined : breakableField(catalog, input.field, '/field');
    const opts = breakdownOptions(input);
    const members = snapshotSql(caller, evaluationId);
    let x: Fragment;
    if (!field) {
      x = { sql: `select namespace_id, null::text as value from (${members.sql}) m`, bindings: members.bindings };
    } else {
      const parts: string[] = [];
      const bindings: unknown[] = [];
      const covered: string[] = [];
      for (const namespaceId of prospectNamespaces(catalog)) {
        const merged = mergedValues(catalog, namespaceId, [field.path]);
        if (!merged) continue;
        covered.push(namespaceId);
        parts.push(`select m.namespace_id, v.${ident('v0')} as value from (${members.sql}) m left join (${merged.sql}) v on v.identity = m.identity where m.namespace_id = ?`);
        bindings.push(...members.bindings, ...merged.bindings, namespaceId);
      }
      // Members of a namespace no dataset holds the field in: null there.
      parts.push(`select m.namespace_id, ${absent(catalog, field.path)} as value from (${members.sql}) m where m.namespace_id <> all(?::text[])`);
      bindings.push(...members.bindings, covered);
      x = { sql: parts.join('\nunion all\n'), bindings };
    }
    return { ...(await this.breakdown(caller, x, field, opts)), evaluationId };
  }

  /** One statement over `x (namespace_id, value)`: everything is counted from one GROUP BY (namespace, value). */
  /** `keys`: when given, x's namespace_id is the namespace's position in it. */
  private async breakdown(caller: Caller, x: Fragment, field: { path: string; kind: ValueKind } | undefined, opts: { top: number; bins: number }, keys?: string[]): Promise<BreakdownResult> {
    let ns: (id: string) => NamespaceRef = (id) => ({ id, code: id, name: id });
    /** The statement, with the namespaces' names read beside it rather than after it. */
    const raw = async (sql: string, bindings: unknown[]) => {
      const [result, refs] = await Promise.all([this.db.raw(sql, bindings as never[]), this.namespaceRefs(caller)]);
      ns = refs;
      return result;
    };
    const byNamespace = (rows: { part: string; key: string | null; n: string | null }[]) =>
      rows.filter((r) => r.part === 'ns').map((r) => ({ namespace: ns(keys ? keys[Number(r.key)]! : r.key!), count: Number(r.n) })).sort((a, b) => b.count - a.count || a.namespace.code.localeCompare(b.namespace.code));
    const total = (rows: { part: string; n: string | null }[]) => rows.filter((r) => r.part === 'ns').reduce((s, r) => s + Number(r.n), 0);

    if (!field) {
      const rows = (await raw(`select 'ns' as part, x.namespace_id::text as key, count(*)::bigint as n from (${x.sql}) x group by x.namespace_id`, x.bindings)).rows;
      return { total: total(rows), byNamespace: byNamespace(rows) };
    }

    if (VALUE_KINDS.includes(field.kind)) {
      const sql = `with g as (select x.namespace_id, x.value::text as value, count(*)::bigint as n from (${x.sql}) x group by 1, 2),
        v as (select value, sum(n)::bigint as n from g where value is not null group by value),
        t as (select value, n from v order by n desc, value collate "C" limit ?)
        select 'ns' as part, namespace_id::text as key, sum(n)::bigint as n from g group by namespace_id
        union all select 'null', null, coalesce(sum(n), 0)::bigint from g where value is null
        union all (select 'top', value, n from t order by n desc, value collate "C")
        union all select 'other', null, ((select coalesce(sum(n), 0) from v) - (select coalesce(sum(n), 0) from t))::bigint
        union all select 'distinct', null, count(*)::bigint from v`;
      const rows: { part: string; key: string | null; n: string }[] = (await raw(sql, [...x.bindings, opts.top])).rows;
      const one = (part: string) => Number(rows.find((r) => r.part === part)?.n ?? 0);
      return {
        total: total(rows),
        byNamespace: byNamespace(rows),
        attribute: {
          field: field.path,
          kind: field.kind,
          type: 'values',
          nulls: one('null'),
          values: rows
            .filter((r) => r.part === 'top')
            .map((r) => ({ key: r.key!, count: Number(r.n) }))
            .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
            .map((r) => ({ value: field.kind === 'boolean' ? r.key === 'true' : r.key, count: r.count })),
          other: one('other'),
          distinct: one('distinct'),
        },
      };
    }

    // Histogram: the key is a number (days for dates, epoch seconds for times).
    const discrete = field.kind === 'integer' || field.kind === 'date';
    const key = field.kind === 'date' ? `(x.value - date '1970-01-01')::numeric` : field.kind === 'date-time' ? `extract(epoch from x.value)::double precision` : field.kind === 'integer' ? 'x.value::numeric' : 'x.value::double precision';
    const width = discrete ? `greatest(1, ceil((hi - lo + 1) / ?::numeric))` : `case when hi > lo then (hi - lo) / ?::double precision else 1 end`;
    const bin = discrete ? `floor((g.k - p.lo) / p.w)::int` : `least(floor((g.k - p.lo) / p.w)::int, ? - 1)`;
    const sql = `with g as (select x.namespace_id, ${key} as k, count(*)::bigint as n from (${x.sql}) x group by 1, 2),
      p as (select lo, hi, ${width} as w from (select min(k) as lo, max(k) as hi from g) s)
      select 'ns' as part, namespace_id::text as key, null::int as b, sum(n)::bigint as n from g group by namespace_id
      union all select 'null', null, null, coalesce(sum(n), 0)::bigint from g where k is null
      union all select 'bin', null, ${bin}, sum(g.n)::bigint from g, p where g.k is not null group by 3
      union all select 'range', case when p.lo is not null then concat_ws(' ', p.lo::text, p.hi::text, p.w::text) end, null, null from p`;
    const binBindings = discrete ? [opts.bins] : [opts.bins, opts.bins];
    const rows: { part: string; key: string | null; b: number | null; n: string | null }[] = (await raw(sql, [...x.bindings, ...binBindings])).rows;
    const range = rows.find((r) => r.part === 'range')?.key ?? '';
    const [lo, hi, w] = range.split(' ').map(Number);
    const nulls = Number(rows.find((r) => r.part === 'null')?.n ?? 0);
    const counts = new Map(rows.filter((r) => r.part === 'bin').map((r) => [Number(r.b), Number(r.n)]));
    const shown = (v: number): number | string => (field.kind === 'date' ? new Date(v * 86_400_000).toISOString().slice(0, 10) : field.kind === 'date-time' ? new Date(v * 1000).toISOString() : v);
    const bins: HistogramBreakdown['bins'] = [];
    if (range.trim() !== '') {
      const n = discrete ? Math.floor((hi - lo) / w) + 1 : hi > lo ? opts.bins : 1;
      for (let i = 0; i < n; i++) {
        const from = lo + i * w;
        const to = discrete ? from + w - 1 : i === n - 1 ? hi : lo + (i + 1) * w;
        bins.push({ from: shown(from), to: shown(to), count: counts.get(i) ?? 0 });
      }
    }
    return {
      total: total(rows),
      byNamespace: byNamespace(rows),
      attribute: {
        field: field.path,
        kind: field.kind,
        type: 'histogram',
        nulls,
        min: bins.length ? shown(lo) : null,
        max: bins.length ? shown(hi) : null,
        binWidth: bins.length ? w : null,
        bins,
      },
    };
  }

  // ---- overlap ---------------------------------------------------------------------------------

  /** The exact size of every region of 2–3 saved audiences' latest successful evaluations, in one statement. */
  async overlap(caller: Caller, input: { audienceIds: string[] }): Promise<OverlapResult> {
    const ids = input.audienceIds;
    if (!Array.isArray(ids) || ids.length < 2 || ids.length > 3) throw ruleError('/audienceIds', 'count', 'Overlap compares 2 or 3 audiences; pick between two and three');
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) throw ruleError(`/audienceIds/${i}`, 'unique', `Audience ${id} is listed twice; pick different audiences`);
    });
    const picked: OverlapResult['audiences'] = [];
    for (const [i, id] of ids.entries()) {
      const row = await this.audiences.findRow(this.db, caller, id);
      const latest = await this.audiences.latestEvaluation(caller, id);
      if (!latest) {
        const message = `Audience "${row.name}" has no successful evaluation yet; evaluate it first (POST /v1/audiences/${id}/evaluations)`;
        throw new Conflict(message, { errors: [{ pointer: `/audienceIds/${i}`, rule: 'evaluated', message }] });
      }
      picked.push({ id, name: row.name, evaluationId: latest.id, evaluatedAt: latest.finishedAt, size: 0 });
    }
    // Each member's mask says which audiences hold it; one row per non-empty region. The account
    // check is a one-time filter (an InitPlan), not a join: the scan keeps the plan a hand-written
    // `evaluation_id in (…)` gets (a semi-join was planned as a hash join and a spilling hash
    // aggregate, 1.6× at 2M members).
    const bits = picked.map((_a, i) => `when ? then ${1 << i}`).join(' ');
    const sql = `select mask, count(*)::bigint as n from (
        select bit_or(case m.evaluation_id ${bits} end) as mask
        from audience_members m
        where m.evaluation_id = any(?::text[])
          and (select count(*) from audience_evaluations e where e.ad_account_id = ? and e.id = any(?::text[])) = ?
        group by m.namespace_id, m.identity
      ) t group by mask`;
    const evaluations = picked.map((a) => a.evaluationId);
    const rows: { mask: number; n: string }[] = (await this.db.raw(sql, [...evaluations, evaluations, caller.adAccountId, evaluations, evaluations.length] as never[])).rows;
    const byMask = new Map(rows.map((r) => [Number(r.mask), Number(r.n)]));
    const regions: OverlapResult['regions'] = [];
    for (let mask = 1; mask < 1 << picked.length; mask++) {
      regions.push({ in: picked.filter((_a, i) => mask & (1 << i)).map((a) => a.id), notIn: picked.filter((_a, i) => !(mask & (1 << i))).map((a) => a.id), count: byMask.get(mask) ?? 0 });
    }
    // Regions ordered by how many audiences they span, then by the audiences' order.
    regions.sort((a, b) => a.in.length - b.in.length);
    for (const a of picked) a.size = regions.filter((r) => r.in.includes(a.id)).reduce((s, r) => s + r.count, 0);
    return { audiences: picked, regions, union: regions.reduce((s, r) => s + r.count, 0) };
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The latest successful evaluation of an audience of the caller's account, or 409 saying to evaluate first. */
  private async evaluated(caller: Caller, audienceId: string, pointer: string): Promise<string> {
    const row = await this.audiences.findRow(this.db, caller, audienceId);
    const latest = await this.audiences.latestEvaluation(caller, audienceId);
    if (!latest) {
      const message = `Audience "${row.name}" has no successful evaluation yet; evaluate it first (POST /v1/audiences/${audienceId}/evaluations)`;
      throw new Conflict(message, { errors: [{ pointer, rule: 'evaluated', message }] });
    }
    return latest.id;
  }

  private async namespaceRefs(caller: Caller): Promise<(id: string) => NamespaceRef> {
    const all = new Map((await this.namespaces.list(caller)).map((n) => [n.id, { id: n.id, code: n.code, name: n.name }]));
    return (id) => all.get(id) ?? { id, code: id, name: id };
  }
}

// ---- SQL helpers -------------------------------------------------------------------------------

/**
 * A sample: the first `limit` members found (no order: the scan stops there), then the merged
 * values of `fields` of just those identities (index lookups), per namespace.
 */
function sampleStatement(catalog: RuleCatalog, members: Fragment, limit: number, fields: string[]): Fragment & { fields: string[] } {
  const bindings: unknown[] = [...members.bindings, limit];
  const parts: string[] = [];
  for (const namespaceId of prospectNamespaces(catalog)) {
    const merged = mergedValues(catalog, namespaceId, fields, (alias) => `${alias}.${ident(SYS.identity)} in (select identity from m where namespace_id = ?)`, [namespaceId]);
    if (!merged) continue;
    parts.push(`select ?::text as namespace_id, v.identity${fields.map((_f, i) => `, v.${ident(`v${i}`)}`).join('')} from (${merged.sql}) v`);
    bindings.push(namespaceId, ...merged.bindings);
  }
  const values = fields.map((_f, i) => `, ${parts.length ? `to_jsonb(x.${ident(`v${i}`)})` : 'null::jsonb'} as ${ident(`v${i}`)}`).join('');
  const join = parts.length ? `left join (${parts.join('\nunion all\n')}) x on x.namespace_id = m.namespace_id and x.identity = m.identity` : '';
  const sql = `with m as materialized (select namespace_id, identity from (${members.sql}) s limit ?)
    select m.namespace_id, m.identity${values}
    from m ${join}
    order by m.namespace_id, m.identity`;
  return { sql, bindings, fields };
}

/** A snapshot's members `(namespace_id, identity)`, the evaluation checked against the caller's account. */
function snapshotSql(caller: Caller, evaluationId: string): Fragment {
  return {
    // Uncorrelated: a one-time filter, so the snapshot's scan is planned as on its own.
    sql: `select am.namespace_id, am.identity from audience_members am
          where am.evaluation_id = ? and exists (select 1 from audience_evaluations ae where ae.id = ? and ae.ad_account_id = ?)`,
    bindings: [evaluationId, evaluationId, caller.adAccountId],
  };
}

function prospectNamespaces(catalog: RuleCatalog): string[] {
  return [...new Set(catalog.datasets.filter((d) => d.class_kind === 'prospect').map((d) => d.primary_namespace_id))];
}

function tableOf(catalog: RuleCatalog, datasetId: string): string {
  return catalog.datasets.find((d) => d.id === datasetId)!.table_name;
}

/** The dataset's column for a path when it stores it as rules read it (as resolveRule decides). */
function columnOf(catalog: RuleCatalog, datasetId: string, path: string): string | undefined {
  return catalog.typesByDataset.get(datasetId)?.get(path) === catalog.typeOf.get(path) ? catalog.columnsByDataset.get(datasetId)?.get(path) : undefined;
}

/** A typed null (the type comes from our catalog, never from a request). */
function absent(catalog: RuleCatalog, path: string): string {
  return `null::${catalog.typeOf.get(path)}`;
}

/**
 * The merged values of `fields` in one namespace, `(identity, seq, v0…)`: the namespace's datasets
 * holding any of them, merged as profiles/merge.ts defines. Undefined when no dataset holds any.
 */
function mergedValues(catalog: RuleCatalog, namespaceId: string, fields: string[], filter?: (alias: string) => string, filterBindings: unknown[] = []): Fragment | undefined {
  const datasets = catalog.datasets.filter((d) => d.class_kind === 'prospect' && d.primary_namespace_id === namespaceId && fields.some((f) => columnOf(catalog, d.id, f) !== undefined));
  if (datasets.length === 0) return undefined;
  const bindings = filter ? datasets.flatMap(() => filterBindings) : [];
  const sql = mergedProfilesSql(
    datasets.map((d) => ({ table: d.table_name, values: fields.map((f) => (columnOf(catalog, d.id, f) ? `d.${columnOf(catalog, d.id, f)}` : undefined)), where: filter?.('d') })),
    fields.map((f) => absent(catalog, f)),
  );
  return { sql, bindings };
}

// ---- argument checks ---------------------------------------------------------------------------

function checkRange(value: number | undefined, fallback: number, min: number, max: number, pointer: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw ruleError(pointer, 'range', `must be a whole number from ${min} to ${max}`, 422, { min, max });
  return value;
}

function breakdownOptions(input: BreakdownInput): { top: number; bins: number } {
  return { top: checkRange(input.top, TOP_DEFAULT, 1, TOP_MAX, '/top'), bins: checkRange(input.bins, BINS_DEFAULT, 1, BINS_MAX, '/bins') };
}

function prospectField(catalog: RuleCatalog, path: string, pointer: string): { path: string; kind: ValueKind } {
  const f = catalog.known.get(path);
  if (!f || f.classKind !== 'prospect') throw ruleError(pointer, 'field', `${path} is not a prospect attribute of a profile-enabled dataset; pick one the Segment Builder lists`);
  return { path, kind: f.kind };
}

function breakableField(catalog: RuleCatalog, path: string, pointer: string): { path: string; kind: ValueKind } {
  const f = prospectField(catalog, path, pointer);
  if (!VALUE_KINDS.includes(f.kind) && !HISTOGRAM_KINDS.includes(f.kind)) {
    throw ruleError(pointer, 'breakable', `${path} holds ${f.kind} values; break down by a text, boolean, number or date attribute`);
  }
  return f;
}

function sampleFields(catalog: RuleCatalog, asked: string[] | undefined): string[] {
  if (asked === undefined) {
    return [...catalog.known.values()].filter((f) => f.classKind === 'prospect' && !f.system).slice(0, SAMPLE_DEFAULT_FIELDS).map((f) => f.path);
  }
  if (asked.length > SAMPLE_MAX_FIELDS) throw ruleError('/fields', 'count', `a sample shows at most ${SAMPLE_MAX_FIELDS} fields`);
  asked.forEach((path, i) => {
    prospectField(catalog, path, `/fields/${i}`);
    if (asked.indexOf(path) !== i) throw ruleError(`/fields/${i}`, 'unique', `${path} is listed twice`);
  });
  return asked;
}
