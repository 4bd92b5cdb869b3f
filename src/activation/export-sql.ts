/**
 * The export's SQL, one statement per function of its inputs (pg-boss plans.ts style): the merged
 * records of the datasets the audiences read, the members of the pinned evaluations and target
 * members, the rows a file holds with their exclusions, and the counts. The snapshots come as
 * fragments from the audiences module (audiences/snapshot-sql.ts), which alone names its tables.
 * Identifiers go through ident(); values are bindings.
 */
import { snapshotMembersSql, snapshotSizeSql, snapshotsMembersSql } from '../audiences/snapshot-sql';
import { ident } from '../core/sql';
import { mergedProfilesSql } from '../profiles/merge';
import type { SqlFragment, UniverseService } from '../universe/service';
import type { CellsSql } from './copy-export';
import { exportedValueSql, type FirstPartyIdentity } from './first-party';
import type { ExportPlan, Pin } from './types';

/** A statement and its bindings. */
export interface Sql {
  sql: string;
  bindings: unknown[];
}

/** The targets a run pinned, whose members are in activation_target_members. */
export interface RunTargets {
  runId: string;
  ids: string[];
}

/** One file's rows for COPY, and how its exclusions are counted. */
export interface ExportRows {
  /** The written rows' cells in file order, excluded rows left out. */
  sql: string;
  bindings: unknown[];
  /** One row: `received`, `mandatory`, `duplicates`; a null one is what received − written leaves. */
  countSql: string;
  countBindings: unknown[];
  /** The same rows with `mandatory_ok` and `dup`, for the row-by-row encoder (formats COPY cannot write). */
  legacy: Sql;
}

type Universe = Pick<UniverseService, 'identitiesOfPeople'>;

/**
 * The exported members of a first-party target, `(person_id, identity)`: one row per identity of
 * the mapped kind (hashes computed here from the plain values, plus identities sources sent
 * hashed), and one row with a null identity per person who has none (excluded, counted).
 */
export function targetMembersSql(universe: Universe, adAccountId: string, people: SqlFragment, identity: FirstPartyIdentity): SqlFragment {
  const ofP: SqlFragment = { sql: 'select person_id from p', bindings: [] };
  const plain = universe.identitiesOfPeople(adAccountId, ofP, identity.kind);
  const parts = [`select v.person_id, ${exportedValueSql(identity, 'v.value')} as identity from (${plain.sql}) v`];
  const bindings = [...people.bindings, ...plain.bindings];
  if (identity.hashedKind) {
    const hashed = universe.identitiesOfPeople(adAccountId, ofP, identity.hashedKind);
    parts.push(`select v.person_id, v.value as identity from (${hashed.sql}) v`);
    bindings.push(...hashed.bindings);
  }
  return {
    sql: `with p as (select distinct pp.person_id from (${people.sql}) pp),
          ids as (${parts.join(' union ')})
          select p.person_id, ids.identity from p left join ids on ids.person_id = p.person_id`,
    bindings,
  };
}

/**
 * The merged profiles of the datasets the audiences read for the mapped namespace, one row per
 * identity: `identity`, `seq`, `a0…` (mapped attributes as text), each attribute the most recently
 * merged batch's non-null value (profiles/merge.ts), as the profile view and the audiences merge.
 */
function recordsSql(plan: ExportPlan): string {
  const datasets = new Map<string, { table: string; columns: Map<string, string> }>();
  for (const a of plan.audiences) for (const p of a.resolved.plans) if (p.namespaceId === plan.namespace.id) datasets.set(p.datasetId, { table: p.table, columns: p.columns });
  const attrs = plan.attributes;
  const a = (i: number) => ident(`a${i}`);
  if (datasets.size === 0) return `select null::text as identity, 0::bigint as seq${attrs.map((_x, i) => `, null::text as ${a(i)}`).join('')} where false`;
  const merged = mergedProfilesSql(
    [...datasets.values()].map((d) => ({ table: d.table, values: attrs.map((x) => (d.columns.has(x.field) ? `${d.columns.get(x.field)}::text` : undefined)) })),
    attrs.map(() => 'null::text'),
  );
  return `select m.identity, m.seq${attrs.map((_x, i) => `, m.${ident(`v${i}`)} as ${a(i)}`).join('')} from (${merged}) m`;
}

/**
 * The members of the pinned evaluations (and pinned target members), one row per identity:
 * `identity`, for LiveRamp (`withStatus`) `s0…` — `active`/`expired` per audience, `active` per
 * target — and `from_target`.
 */
function membersSql(evaluations: Pin[], namespaceId: string, withStatus: boolean, targets?: RunTargets): { sql: string; bindings: unknown[]; statusNames: string[] } {
  const targetIds = targets?.ids ?? [];
  const bindings: unknown[] = [];
  const statusNames: string[] = [];
  let status = '';
  if (withStatus) {
    evaluations.forEach((e, i) => {
      status += `, case when bool_or(u.src = ?) then 'active' when bool_or(u.src = ?) then 'expired' end as ${ident(`s${i}`)}`;
      bindings.push(e.current, e.previous ?? '');
      statusNames.push(`s${i}`);
    });
    // A target has no snapshots: its members are `active`, never `expired`.
    targetIds.forEach((id, j) => {
      const name = `s${evaluations.length + j}`;
      status += `, case when bool_or(u.src = ?) then 'active' end as ${ident(name)}`;
      bindings.push(id);
      statusNames.push(name);
    });
  }
  const snapshots = snapshotsMembersSql(evaluations.flatMap((e) => (withStatus && e.previous ? [e.current, e.previous] : [e.current])), namespaceId);
  bindings.push(...snapshots.bindings);
  let fromTargets = '';
  if (targets) {
    fromTargets = `union all
        select t.identity, t.target_id, true from activation_target_members t
        where t.run_id = ? and t.target_id = any(?::text[]) and t.identity is not null`;
    bindings.push(targets.runId, targetIds);
  }
  const sql = `select u.identity${status}, bool_or(u.from_target) as from_target from (
        select s.identity, s.src, false as from_target from (${snapshots.sql}) s
        ${fromTargets}
      ) u group by u.identity`;
  return { sql, bindings, statusNames };
}

/** The target's people without an identity of the mapped kind (excluded rows, once each). */
function missingSql(targets: RunTargets): Sql {
  return {
    sql: 'select distinct t.person_id from activation_target_members t where t.run_id = ? and t.target_id = any(?::text[]) and t.identity is null',
    bindings: [targets.runId, targets.ids],
  };
}

/**
 * One statement yielding the exported rows of the pinned evaluations (and pinned target members):
 * identity, mapped attributes (from the newest current record among the datasets read), whether
 * the mandatory attributes are present, and the row's rank within its deduplication key. For
 * LiveRamp (`withStatus`), one row per identity in any audience now or in its previous snapshot or
 * in any target, with `active`/`expired` per audience and `active` per target. Rows that come
 * from a target are never excluded for missing attributes (attributes are the audiences'); the
 * target's people without an identity of the mapped kind come last, once each, as excluded rows.
 * Dry-runs count it; runs export it as it is only with a deduplication key (see exportRows).
 */
function rowsSql(plan: ExportPlan, evaluations: Pin[], withStatus: boolean, targets?: RunTargets, ordered = true): Sql {
  const attrs = plan.attributes;
  const attrName = (i: number) => ident(`a${i}`);
  const column = (field: string) => `r.${attrName(attrs.findIndex((a) => a.field === field))}`;
  const mandatoryOk = plan.mandatory.length ? plan.mandatory.map((f) => `${column(f)} is not null`).join(' and ') : 'true';
  const dedupKey = plan.dedup.length ? plan.dedup.map(column).join(', ') : 'mb.identity';
  const members = membersSql(evaluations, plan.namespace.id, withStatus, targets);
  const bindings: unknown[] = [...members.bindings];
  let missing = '';
  let missingRows = '';
  if (targets) {
    const m = missingSql(targets);
    missing = `, missing as (${m.sql})`;
    bindings.push(...m.bindings);
    const nulls = [...members.statusNames, ...attrs.map((_a, i) => `a${i}`)].map((c) => `, null::text as ${ident(c)}`).join('');
    missingRows = `union all select null::text as identity${nulls}, false as mandatory_ok, 1::bigint as dup from missing`;
  }
  const outColumns = ['identity', ...members.statusNames, ...attrs.map((_a, i) => `a${i}`), 'mandatory_ok', 'dup'].map((c) => ident(c)).join(', ');
  const sql = `with members as (${members.sql}),
    records as (${recordsSql(plan)}),
    joined as (
      select mb.*${attrs.map((_a, i) => `, r.${attrName(i)}`).join('')},
             (mb.from_target or (r.identity is not null and ${mandatoryOk})) as mandatory_ok,
             case when mb.from_target and r.identity is null then 1::bigint
                  else row_number() over (partition by (mb.from_target and r.identity is null), ${dedupKey} order by mb.identity) end as dup
      from members mb left join records r on r.identity = mb.identity
    )${missing}
    select ${outColumns} from joined ${missingRows}
    ${ordered ? 'order by identity nulls last' : ''}`;
  return { sql, bindings };
}

/**
 * A file's rows as PostgreSQL writes them (cells per `cells`, excluded rows left out, in file
 * order), with how its exclusions are counted. Without a deduplication key no row can be a
 * duplicate (one member row per identity, one record per identity), so the statement needs no
 * window, and with one evaluation no grouping either; the excluded rows are then the members not
 * written, counted from the members alone. A deduplication key keeps the full statement: an
 * excluded row still takes its key's first place, and the counts need a pass of their own.
 */
export function exportRows(plan: ExportPlan, evaluations: Pin[], withStatus: boolean, targets: RunTargets | undefined, cells: CellsSql): ExportRows {
  const attrs = plan.attributes.map((_a, i) => ident(`a${i}`));
  const legacy = rowsSql(plan, evaluations, withStatus, targets);
  if (plan.dedup.length) {
    const unordered = rowsSql(plan, evaluations, withStatus, targets, false);
    const statuses = membersSql(evaluations, plan.namespace.id, withStatus, targets).statusNames.map((s) => `q.${ident(s)}`);
    return {
      sql: `select ${cells('q.identity', statuses, attrs.map((a) => `q.${a}`))} from (${unordered.sql}) q where q.mandatory_ok and q.dup = 1 order by q.identity`,
      bindings: unordered.bindings,
      countSql: `select count(*) as received, count(*) filter (where not mandatory_ok) as mandatory, count(*) filter (where mandatory_ok and dup > 1) as duplicates from (${unordered.sql}) q`,
      countBindings: unordered.bindings,
      legacy,
    };
  }
  const column = (field: string) => `r.${ident(`a${plan.attributes.findIndex((a) => a.field === field)}`)}`;
  const mandatory = plan.mandatory.map((f) => ` and ${column(f)} is not null`).join('');
  const recordCells = attrs.map((a) => `r.${a}`);
  if (!withStatus && !targets && evaluations.length === 1) {
    // Without a record the mandatory check fails: an inner join, straight off the snapshot's primary key.
    const snapshot = snapshotMembersSql(evaluations[0]!.current, plan.namespace.id);
    const size = snapshotSizeSql(evaluations[0]!.current, plan.namespace.id);
    return {
      sql: `select ${cells('m.identity', [], recordCells)} from (${snapshot.sql}) m join (${recordsSql(plan)}) r on r.identity = m.identity
            where true${mandatory} order by m.identity`,
      bindings: snapshot.bindings,
      countSql: `select ${size.sql} as received, null::bigint as mandatory, 0::bigint as duplicates`,
      countBindings: size.bindings,
      legacy,
    };
  }
  const members = membersSql(evaluations, plan.namespace.id, withStatus, targets);
  const missing = targets ? missingSql(targets) : { sql: 'select null where false', bindings: [] };
  return {
    sql: `with members as (${members.sql})
          select ${cells('mb.identity', members.statusNames.map((s) => `mb.${ident(s)}`), recordCells)}
          from members mb left join (${recordsSql(plan)}) r on r.identity = mb.identity
          where mb.from_target or (r.identity is not null${mandatory}) order by mb.identity`,
    bindings: members.bindings,
    countSql: `select (select count(*) from (${members.sql}) mb) + (select count(*) from (${missing.sql}) x) as received, null::bigint as mandatory, 0::bigint as duplicates`,
    countBindings: [...members.bindings, ...missing.bindings],
    legacy,
  };
}

/**
 * An S3 file's rows for one target: its pinned identities in a stable order (a retry splits the
 * same parts), people without an identity of the kind as excluded rows, repeats of one exported
 * value (e.g. a hash two people share) as duplicates.
 */
function targetRowsSql(plan: ExportPlan, runId: string, targetId: string): Sql {
  const attrs = plan.attributes.map((_a, i) => `, null::text as ${ident(`a${i}`)}`).join('');
  return {
    sql: `select t.identity${attrs}, (t.identity is not null) as mandatory_ok,
                 case when t.identity is null then 1::bigint else row_number() over (partition by t.identity order by t.person_id) end as dup
          from activation_target_members t where t.run_id = ? and t.target_id = ?
          order by t.identity nulls last, t.person_id`,
    bindings: [runId, targetId],
  };
}

/** targetRowsSql as PostgreSQL writes it: each exported value once; the duplicates are those not written. */
export function targetExportRows(plan: ExportPlan, runId: string, targetId: string, cells: CellsSql): ExportRows {
  const keys = [runId, targetId];
  return {
    sql: `select ${cells('t.identity', [], plan.attributes.map(() => 'null::text'))}
          from (select distinct identity from activation_target_members where run_id = ? and target_id = ? and identity is not null) t
          order by t.identity`,
    bindings: keys,
    countSql: 'select count(*) as received, count(*) - count(identity) as mandatory, null::bigint as duplicates from activation_target_members where run_id = ? and target_id = ?',
    countBindings: keys,
    legacy: targetRowsSql(plan, runId, targetId),
  };
}

/** Materialises a target's exported members for a run (set-based, in the pinning transaction). */
export function pinTargetSql(adAccountId: string, runId: string, targetId: string, members: SqlFragment): Sql {
  return {
    sql: `insert into activation_target_members (ad_account_id, run_id, target_id, person_id, identity)
          select ?, ?, ?, m.person_id, m.identity from (${members.sql}) m`,
    bindings: [adAccountId, runId, targetId, ...members.bindings],
  };
}

/** A dry-run's counts of one audience's pinned evaluation: `received`, `mandatory`, `dups`. */
export function audienceCountSql(plan: ExportPlan, pin: Pin): Sql {
  const { sql, bindings } = rowsSql(plan, [pin], false);
  return {
    sql: `select count(*)::bigint as received,
                 count(*) filter (where not mandatory_ok)::bigint as mandatory,
                 count(*) filter (where mandatory_ok and dup > 1)::bigint as dups
          from (${sql}) q`,
    bindings,
  };
}

/** A dry-run's counts of one target's members (targetMembersSql): `received`, `mandatory`, `dups`. */
export function targetCountSql(members: SqlFragment): Sql {
  return {
    sql: `select count(*)::bigint as received,
                 count(*) filter (where identity is null)::bigint as mandatory,
                 (count(identity) - count(distinct identity))::bigint as dups
          from (${members.sql}) q`,
    bindings: [...members.bindings],
  };
}
