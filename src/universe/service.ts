/**
 * The account's first-party identity universe: an identity graph whose connected components are
 * people. Every first-party source (profile-enabled Individual Profile datasets, talk channel
 * friends, pixel & SDK events, MAT postbacks, ad reactions) appends the identity nodes of each of
 * its records to an inbox in the same transaction as the record itself; the linker folds the inbox
 * into the graph in order, in chunks, one account at a time (an advisory lock), so linking never
 * blocks the writers and a crash loses nothing (inbox rows are deleted in the transaction that
 * links them).
 *
 * Identities in one record belong to one person; a record touching two people merges them, unless
 * the merged person would hold more than MAX_IDENTITIES_PER_PERSON identities — then the merge is
 * refused, the record's new identities stay a person of their own, and the refusal is counted
 * (a runaway component, e.g. a shared test device, never swallows thousands of people). The graph
 * only grows: deleting a batch does not unlink identities (as in Adobe's graph); `relink` rebuilds
 * it from the sources when that matters.
 */
import type { Knex } from 'knex';
import type { AccountService } from '../accounts/service';
import type { Db, Queryable, Tx } from '../core/db';
import { InvalidRequest } from '../core/errors';
import type { Logger } from '../core/log';
import type { Caller } from '../core/types';
import type { DatasetService, DatasetStorage } from '../datasets/service';
import { batchRowsSql, qualifiedData, SYS } from '../datasets/storage';
import { ident } from '../core/sql';
import { MAX_IDENTITIES_PER_PERSON, nodeKindOf } from './nodes';

export const LINK_TICK_JOB = 'universe.link';
const CHUNK_ROWS = 5000;
/** Up to this many nodes a people query probes the universe once per node (~1 s at most), above it joins in one pass. */
export const PROBE_NODES = 50_000;

export interface UniverseStats {
  people: number;
  identities: number;
  identitiesByKind: Record<string, number>;
  /** Records appended by sources and not linked yet. */
  pendingRecords: number;
  linkedRecords: number;
  /** Merges refused because the person would exceed the identity cap. */
  refusedMerges: number;
  maxIdentitiesPerPerson: number;
  lastLinkedAt: string | null;
}

export interface UniversePerson {
  personId: string;
  identities: { kind: string; value: string; firstSeenAt: string }[];
}

/** A source that can append all of its records again (used by relink). */
export interface UniverseSource {
  name: string;
  replay(tx: Tx, caller: Caller): Promise<void>;
}

/** `node = any(?)`-style SQL returning the column `person_id` (distinct), for population queries. */
export interface SqlFragment {
  sql: string;
  bindings: readonly Knex.RawBinding[];
}

/** How one attribute of a profile dataset becomes a number per person (several current records: averaged / any). */
export type ProfileAggregate =
  | { column: string; as: 'number' }
  | { column: string; as: 'boolean' }
  | { column: string; as: 'equals'; value: string };

export class UniverseService {
  private readonly sources: UniverseSource[] = [];
  private readonly relinkHooks: ((adAccountId: string) => Promise<void>)[] = [];

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetService,
    private readonly accounts: AccountService,
    private readonly log: Logger,
  ) {
    this.sources.push({ name: 'datasets', replay: (tx, caller) => this.replayDatasets(tx, caller) });
  }

  registerSource(source: UniverseSource): void {
    this.sources.push(source);
  }

  // ---- writing: sources append identity sets ---------------------------------------------------

  /** Appends records (each a list of nodes) to the inbox; records with no node are skipped. */
  async append(q: Queryable, adAccountId: string, records: readonly (readonly string[])[]): Promise<void> {
    const kept = records.map((r) => [...new Set(r.filter((n) => typeof n === 'string' && n.length > 0))]).filter((r) => r.length > 0);
    if (kept.length === 0) return;
    // One statement per call whatever the size: the records travel as one JSON array.
    await q.raw(
      `insert into universe_inbox (ad_account_id, nodes)
       select ?, array(select jsonb_array_elements_text(r)) from jsonb_array_elements(?::jsonb) r`,
      [adAccountId, JSON.stringify(kept)],
    );
  }

  /** Appends the nodes produced by a query (column `nodes text[]`), set-based. */
  async appendFromQuery(q: Queryable, adAccountId: string, nodesQuery: SqlFragment): Promise<void> {
    await q.raw(
      `insert into universe_inbox (ad_account_id, nodes)
       select ?, s.nodes from (${nodesQuery.sql}) s where cardinality(s.nodes) > 0`,
      [adAccountId, ...nodesQuery.bindings],
    );
  }

  /**
   * `appendFromQuery` for several accounts as one data-modifying statement, for a caller that joins
   * it to its own statement as a CTE: the query yields `ad_account_id` and `nodes text[]`.
   */
  appendSql(records: SqlFragment): SqlFragment {
    return {
      sql: `insert into universe_inbox (ad_account_id, nodes)
            select s.ad_account_id, s.nodes from (${records.sql}) s where cardinality(s.nodes) > 0`,
      bindings: records.bindings,
    };
  }

  /** Batch merge hook: the profile records of a first-party dataset batch join the universe. */
  async onBatchMerged(tx: Tx, storage: DatasetStorage, batch: { id: string; part: number }): Promise<void> {
    if (storage.dataset.class_kind !== 'first_party' || !storage.dataset.profile_enabled) return;
    const nodes = this.datasetNodesSql(storage);
    if (!nodes) return;
    const rows = batchRowsSql(batch);
    await this.appendFromQuery(tx, storage.dataset.ad_account_id, {
      sql: `${nodes.sql} and ${rows.sql}`,
      bindings: [...nodes.bindings, ...rows.bindings],
    });
  }

  // ---- linking ---------------------------------------------------------------------------------

  /** Links everything pending for one account; returns the number of records linked. */
  async linkPending(adAccountId: string, opts: { skipIfBusy?: boolean } = {}): Promise<number> {
    // Only what was pending when we started: under a steady stream of events a caller (a count, a
    // reach estimate) must not chase the inbox forever.
    const [{ upto }] = (await this.db.raw(`select max(seq)::text as upto from universe_inbox where ad_account_id = ?`, [adAccountId])).rows;
    if (upto === null) return 0;
    let total = 0;
    for (;;) {
      const linked = await this.db.transaction((tx) => this.linkChunk(tx, adAccountId, upto, opts.skipIfBusy ?? false));
      if (linked === null) return total;
      total += linked;
      if (linked < CHUNK_ROWS) return total;
    }
  }

  /** Tick: links the pending records of every account (accounts another worker holds are skipped). */
  async linkAllPending(): Promise<number> {
    // One index probe per account instead of a distinct over the whole inbox; the account ids come
    // from the accounts module, which owns ad_accounts.
    const accounts: { id: string }[] = (
      await this.db.raw(`select a.id from unnest(?::text[]) as a(id) where exists (select 1 from universe_inbox i where i.ad_account_id = a.id)`, [
        await this.accounts.accountIds(),
      ])
    ).rows;
    let total = 0;
    for (const { id } of accounts) total += await this.linkPending(id, { skipIfBusy: true });
    return total;
  }

  /** Links up to CHUNK_ROWS inbox rows (seq ≤ upTo); null when skipIfBusy and another linker holds the account. */
  private async linkChunk(tx: Tx, adAccountId: string, upTo: string, skipIfBusy: boolean): Promise<number | null> {
    if (skipIfBusy) {
      const [{ locked }] = (await tx.raw('select pg_try_advisory_xact_lock(hashtext(?)) as locked', [`universe:${adAccountId}`])).rows;
      if (!locked) return null;
    } else {
      await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`universe:${adAccountId}`]);
    }
    const rows: { seq: string; nodes: string[] }[] = await tx('universe_inbox')
      .where({ ad_account_id: adAccountId })
      .where('seq', '<=', upTo)
      .orderBy('seq')
      .limit(CHUNK_ROWS)
      .select('seq', 'nodes');
    if (rows.length === 0) return 0;

    const allNodes = [...new Set(rows.flatMap((r) => r.nodes))];
    const existing = new Map<string, string>();
    for (const r of (
      await tx.raw(`select node, person_id from universe_identities where ad_account_id = ? and node = any(?::text[])`, [adAccountId, allNodes])
    ).rows as { node: string; person_id: string }[]) {
      existing.set(r.node, r.person_id);
    }
    const persons = [...new Set(existing.values())];
    const size = new Map<string, number>();
    for (const r of (
      await tx.raw(`select person_id, identity_count from universe_people where ad_account_id = ? and person_id = any(?::bigint[])`, [adAccountId, persons])
    ).rows as { person_id: string; identity_count: number }[]) {
      size.set(`p${r.person_id}`, r.identity_count);
    }

    // Union-find over entities: existing people (`p<id>`) and nodes new to the graph (`n<node>`).
    const parent = new Map<string, string>();
    const find = (e: string): string => {
      let root = e;
      while (parent.has(root)) root = parent.get(root)!;
      let cur = e;
      while (cur !== root) {
        const next = parent.get(cur)!;
        parent.set(cur, root);
        cur = next;
      }
      return root;
    };
    const entityOf = (n: string) => (existing.has(n) ? `p${existing.get(n)}` : `n${n}`);
    let refused = 0;
    for (const row of rows) {
      const entities = [...new Set(row.nodes.map(entityOf))];
      for (const e of entities) if (!size.has(e)) size.set(e, 1);
      let anchor = find(entities[0]);
      for (const e of entities.slice(1)) {
        const other = find(e);
        if (other === anchor) continue;
        const joined = size.get(anchor)! + size.get(other)!;
        if (joined > MAX_IDENTITIES_PER_PERSON) {
          refused++;
          continue;
        }
        // Keep an existing person as the root so its id survives.
        const [root, child] = anchor.startsWith('p') || !other.startsWith('p') ? [anchor, other] : [other, anchor];
        parent.set(child, root);
        size.set(root, joined);
        anchor = root;
      }
    }

    // Resolve each component to one person id: the smallest existing id, or a new one.
    const groups = new Map<string, { persons: string[]; nodes: string[] }>();
    for (const e of size.keys()) {
      const root = find(e);
      let g = groups.get(root);
      if (!g) groups.set(root, (g = { persons: [], nodes: [] }));
      if (e.startsWith('p')) g.persons.push(e.slice(1));
      else g.nodes.push(e.slice(1));
    }
    const fresh = [...groups.values()].filter((g) => g.persons.length === 0).length;
    const freshIds: string[] = fresh
      ? (await tx.raw(`select nextval('universe_person_seq')::text as id from generate_series(1, ?)`, [fresh])).rows.map((r: { id: string }) => r.id)
      : [];
    const mergeFrom: string[] = [];
    const mergeTo: string[] = [];
    const insertNodes: string[] = [];
    const insertPersons: string[] = [];
    const peopleIds: string[] = [];
    const peopleCounts: number[] = [];
    for (const [root, g] of groups) {
      const ids = g.persons.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
      const target = ids[0] ?? freshIds.pop()!;
      for (const other of ids.slice(1)) {
        mergeFrom.push(other);
        mergeTo.push(target);
      }
      for (const n of g.nodes) {
        insertNodes.push(n);
        insertPersons.push(target);
      }
      if (g.nodes.length > 0 || ids.length > 1) {
        peopleIds.push(target);
        peopleCounts.push(size.get(root)!);
      }
    }
    if (mergeFrom.length) {
      await tx.raw(
        `update universe_identities ui set person_id = m.to_id
         from unnest(?::bigint[], ?::bigint[]) as m(from_id, to_id)
         where ui.ad_account_id = ? and ui.person_id = m.from_id`,
        [mergeFrom, mergeTo, adAccountId],
      );
      await tx.raw(`delete from universe_people where ad_account_id = ? and person_id = any(?::bigint[])`, [adAccountId, mergeFrom]);
    }
    if (insertNodes.length) {
      await tx.raw(
        `insert into universe_identities (ad_account_id, node, person_id)
         select ?, t.node, t.person_id from unnest(?::text[], ?::bigint[]) as t(node, person_id)`,
        [adAccountId, insertNodes, insertPersons],
      );
    }
    if (peopleIds.length) {
      await tx.raw(
        `insert into universe_people (ad_account_id, person_id, identity_count)
         select ?, t.person_id, t.identity_count from unnest(?::bigint[], ?::int[]) as t(person_id, identity_count)
         on conflict (ad_account_id, person_id) do update set identity_count = excluded.identity_count, updated_at = now()`,
        [adAccountId, peopleIds, peopleCounts],
      );
    }
    await tx.raw(`delete from universe_inbox where seq = any(?::bigint[])`, [rows.map((r) => r.seq)]);
    await tx.raw(
      `insert into universe_state (ad_account_id, linked_records, refused_merges, last_linked_at) values (?, ?, ?, now())
       on conflict (ad_account_id) do update set linked_records = universe_state.linked_records + excluded.linked_records,
         refused_merges = universe_state.refused_merges + excluded.refused_merges, last_linked_at = now()`,
      [adAccountId, rows.length, refused],
    );
    if (refused) this.log.info({ adAccountId, refused }, 'universe: merges refused at the identity cap');
    return rows.length;
  }

  // ---- reading ---------------------------------------------------------------------------------

  /**
   * People (column `person_id`, distinct) owning any node the query yields (its one column).
   * Population queries of every target kind are built from this; `unique` says the query yields
   * each node once already (a primary key), so it is not de-duplicated again.
   *
   * The plan must not depend on statistics: they lag behind what was just written (a new account's
   * identities, a new upload's entries), and then the planner expects one row on each side and
   * nests loops over the universe (minutes for a 350-phone friend group). So the nodes are
   * materialised and counted first, and that exact count picks one of two shapes that have no
   * other plan: up to PROBE_NODES, one primary-key probe per node (LATERAL … OFFSET 0 cannot be
   * flattened into a join; the account id as a sub-select hides it from the planner, which then
   * assumes an average account rather than an empty one and so probes the primary key, not the
   * (account, person) index that would read every identity of the account per node); above, a
   * FULL JOIN with the account's identities, which PostgreSQL can only run as a hash or merge join
   * (OFFSET 0 keeps the filter from reducing it to an inner join). The one-time filters on the
   * count run only one of the two.
   */
  peopleOfNodes(adAccountId: string, nodesQuery: SqlFragment, opts: { unique?: boolean } = {}): SqlFragment {
    const nodes = `select ${opts.unique ? '' : 'distinct '}n.node from (${nodesQuery.sql}) as n(node)`;
    return {
      sql: `select distinct x.person_id from (
              with s as materialized (${nodes}), k as materialized (select count(*) as n from s)
              select p.person_id from s cross join lateral (
                select ui.person_id from universe_identities ui where ui.ad_account_id = (select ?::text) and ui.node = s.node offset 0
              ) p where (select k.n from k) <= ${PROBE_NODES}
              union all
              select j.person_id from (
                select ui.person_id, s.node as wanted
                from s full join (select node, person_id from universe_identities where ad_account_id = ?) ui on ui.node = s.node
                offset 0
              ) j where (select k.n from k) > ${PROBE_NODES} and j.wanted is not null and j.person_id is not null
            ) x`,
      bindings: [...nodesQuery.bindings, adAccountId, adAccountId],
    };
  }

  /**
   * One identity node per person of a people query (column `node`), e.g. to store a set of people
   * so that later merges in the graph keep resolving it (people who vanished meanwhile are left out).
   */
  nodeOfEachPerson(adAccountId: string, people: SqlFragment): SqlFragment {
    return {
      sql: `select n.node from (
              select (select min(ui.node) from universe_identities ui where ui.ad_account_id = ? and ui.person_id = p.person_id) as node
              from (${people.sql}) p
            ) n where n.node is not null`,
      bindings: [adAccountId, ...people.bindings],
    };
  }

  /**
   * Feature rows `(person_id, feature, value)` of every person of the universe from a first-party
   * source's records (`record_key, nodes text[], feature, value`): values summed per person and
   * feature, a record whose several identities belong to one person counted once for that person.
   * Meant to be read once per build (one scan of the source, hash-joined to the identities), not
   * per group of people: a person filter cannot reach into the records, so each filtered query
   * would read them all again.
   */
  featureRows(adAccountId: string, records: SqlFragment): SqlFragment {
    // The records materialised, then hash-joined on the node: the planner cannot see through
    // unnest() and otherwise picks nested loops (or runs the inner side in every parallel worker).
    return {
      sql: `with s as materialized (
              select r.record_key, n.node, r.feature, r.value from (${records.sql}) r cross join lateral unnest(r.nodes) as n(node)
            )
            select x.person_id, x.feature, sum(x.value)::float8 as value from (
              select distinct s.record_key, ui.person_id, s.feature, s.value
              from s join universe_identities ui on ui.ad_account_id = ? and ui.node = s.node
            ) x group by x.person_id, x.feature`,
      bindings: [...records.bindings, adAccountId],
    };
  }

  /**
   * Attributes of a first-party profile dataset for every person of the universe: `(person_id,
   * a0, a1, …)` over the person's current profile records (joined through any of the record's
   * identities), one column per aggregate in order. Null when the dataset has no identity that
   * joins the universe. Read once per build, as featureRows.
   */
  profileAttributes(storage: DatasetStorage, attributes: readonly ProfileAggregate[]): SqlFragment | null {
    const nodes = this.nodeArraySql(storage, 'r');
    if (!nodes || attributes.length === 0) return null;
    const selects: string[] = [];
    const selectBindings: Knex.RawBinding[] = [];
    attributes.forEach((a, i) => {
      const col = `d.${ident(a.column)}`;
      if (a.as === 'number') selects.push(`avg(${col})::float8 as a${i}`);
      else if (a.as === 'boolean') selects.push(`avg(case when ${col} then 1.0 when not ${col} then 0.0 end)::float8 as a${i}`);
      else {
        selects.push(`max(case when ${col}::text = ? then 1.0 else 0.0 end)::float8 as a${i}`);
        selectBindings.push(a.value);
      }
    });
    const table = qualifiedData(storage.dataset.table_name);
    const rid = ident(SYS.rid);
    // As featureRows: records' nodes materialised, then hash joins (identities, the records again).
    return {
      sql: `with s as materialized (
              select r.${rid} as rid, n.node from ${table} r cross join lateral unnest(${nodes.sql}) as n(node)
              where r.${ident(SYS.profile)} and r.${ident(SYS.current)}
            )
            select x.person_id, ${selects.join(', ')} from (
              select distinct ui.person_id, s.rid from s join universe_identities ui on ui.ad_account_id = ? and ui.node = s.node
            ) x join ${table} d on d.${rid} = x.rid group by x.person_id`,
      bindings: [...nodes.bindings, ...selectBindings, storage.dataset.ad_account_id],
    };
  }

  /**
   * Whether some `probe` current profile records already hold more than `max` distinct values of a
   * column: high-cardinality text (ids, names) told without counting every value of the dataset.
   */
  async profileValuesExceed(storage: DatasetStorage, column: string, max: number, probe: number): Promise<boolean> {
    const col = ident(column);
    const { rows } = await this.db.raw(
      `select count(distinct s.v) > ? as exceeds from (
         select ${col}::text as v from ${qualifiedData(storage.dataset.table_name)}
         where ${ident(SYS.profile)} and ${ident(SYS.current)} and ${col} is not null limit ?
       ) s`,
      [max, probe],
    );
    return rows[0].exceeds === true;
  }

  /** The most frequent values of a profile dataset column over current profile records (to tell low-cardinality attributes). */
  async profileValueCounts(storage: DatasetStorage, column: string, limit: number): Promise<{ value: string; count: number }[]> {
    const col = ident(column);
    const { rows } = await this.db.raw(
      `select ${col}::text as value, count(*)::bigint as n from ${qualifiedData(storage.dataset.table_name)}
       where ${ident(SYS.profile)} and ${ident(SYS.current)} and ${col} is not null
       group by 1 order by 2 desc, 1 limit ?`,
      [limit],
    );
    return (rows as { value: string; n: string }[]).map((r) => ({ value: r.value, count: Number(r.n) }));
  }

  /**
   * The identities of one kind of the people a query yields (column `person_id`): `(person_id,
   * value)`, one row per identity (the value without its `kind:` prefix). People without an
   * identity of the kind yield nothing. Activation exports first-party targets from this.
   */
  identitiesOfPeople(adAccountId: string, people: SqlFragment, kind: string): SqlFragment {
    return {
      sql: `select ui.person_id, substr(ui.node, ?) as value from universe_identities ui
            where ui.ad_account_id = ? and starts_with(ui.node, ?) and ui.person_id in (${people.sql})`,
      bindings: [kind.length + 2, adAccountId, `${kind}:`, ...people.bindings],
    };
  }

  /** Every person of the account's universe (column `person_id`), e.g. the reach base of an ad group without targeting. */
  allPeople(adAccountId: string): SqlFragment {
    return { sql: `select up.person_id from universe_people up where up.ad_account_id = ?`, bindings: [adAccountId] };
  }

  async stats(caller: Caller): Promise<UniverseStats> {
    const a = caller.adAccountId;
    const [people, byKind, pending, state] = await Promise.all([
      this.db('universe_people').where({ ad_account_id: a }).count({ n: '*' }).first(),
      this.db.raw(`select split_part(node, ':', 1) as kind, count(*)::bigint as n from universe_identities where ad_account_id = ? group by 1 order by 1`, [a]),
      this.db('universe_inbox').where({ ad_account_id: a }).count({ n: '*' }).first(),
      this.db('universe_state').where({ ad_account_id: a }).first(),
    ]);
    const identitiesByKind: Record<string, number> = {};
    for (const r of byKind.rows as { kind: string; n: string }[]) identitiesByKind[r.kind] = Number(r.n);
    return {
      people: Number(people?.n ?? 0),
      identities: Object.values(identitiesByKind).reduce((s, n) => s + n, 0),
      identitiesByKind,
      pendingRecords: Number(pending?.n ?? 0),
      linkedRecords: Number(state?.linked_records ?? 0),
      refusedMerges: Number(state?.refused_merges ?? 0),
      maxIdentitiesPerPerson: MAX_IDENTITIES_PER_PERSON,
      lastLinkedAt: state?.last_linked_at ? new Date(state.last_linked_at).toISOString() : null,
    };
  }

  /** The person holding an identity, with all of their identities (after linking what is pending). */
  async lookup(caller: Caller, kind: string, value: string): Promise<UniversePerson | null> {
    await this.linkPending(caller.adAccountId);
    const hit = await this.db('universe_identities').where({ ad_account_id: caller.adAccountId, node: `${kind}:${value}` }).first('person_id');
    if (!hit) return null;
    const rows = await this.db('universe_identities').where({ ad_account_id: caller.adAccountId, person_id: hit.person_id }).orderBy('node');
    return {
      personId: String(hit.person_id),
      identities: rows.map((r: { node: string; first_seen_at: Date }) => {
        const i = r.node.indexOf(':');
        return { kind: r.node.slice(0, i), value: r.node.slice(i + 1), firstSeenAt: r.first_seen_at.toISOString() };
      }),
    };
  }

  /**
   * Rebuilds the account's graph from its sources (e.g. after deleting a dataset whose identities
   * should no longer join people). Populations are refreshed on their next cadence.
   */
  async relink(caller: Caller): Promise<UniverseStats> {
    await this.db.transaction(async (tx) => {
      await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`universe:${caller.adAccountId}`]);
      for (const table of ['universe_inbox', 'universe_identities', 'universe_people', 'universe_state']) {
        await tx(table).where({ ad_account_id: caller.adAccountId }).delete();
      }
      for (const source of this.sources) await source.replay(tx, caller);
    });
    await this.linkPending(caller.adAccountId);
    // People were renumbered: every population of the account is counted again now.
    for (const hook of this.relinkHooks) await hook(caller.adAccountId);
    return this.stats(caller);
  }

  /** Called after a relink (populations make every subject of the account due). */
  onRelinked(hook: (adAccountId: string) => Promise<void>): void {
    this.relinkHooks.push(hook);
  }

  // ---- datasets as a source --------------------------------------------------------------------

  /** SELECT of `nodes text[]` over a dataset's profile records (caller appends more conditions). */
  private datasetNodesSql(storage: DatasetStorage): SqlFragment | null {
    const nodes = this.nodeArraySql(storage);
    if (!nodes) return null;
    return {
      sql: `select ${nodes.sql} as nodes from ${qualifiedData(storage.dataset.table_name)} where ${ident(SYS.profile)}`,
      bindings: nodes.bindings,
    };
  }

  /** The `text[]` expression of a dataset record's identity nodes (columns qualified by `alias` when given). */
  private nodeArraySql(storage: DatasetStorage, alias?: string): SqlFragment | null {
    const parts: string[] = [];
    const bindings: Knex.RawBinding[] = [];
    for (const field of storage.fields) {
      if (!field.identity) continue;
      const kind = nodeKindOf({ code: field.identity.namespace, type: field.identity.namespaceType as never });
      const column = storage.columns.find((c) => c.fieldPath === field.path);
      if (!kind || !column) continue;
      const col = alias ? `${alias}.${ident(column.columnName)}` : ident(column.columnName);
      parts.push(`case when ${col} is null then null else ? || ${col} end`);
      bindings.push(`${kind}:`);
    }
    if (parts.length === 0) return null;
    return { sql: `array_remove(array[${parts.join(', ')}]::text[], null)`, bindings };
  }

  private async replayDatasets(tx: Tx, caller: Caller): Promise<void> {
    for (const dataset of await this.datasets.profileDatasets(caller, 'first_party')) {
      const storage = await this.datasets.storage(caller, dataset.id, tx);
      const nodes = this.datasetNodesSql(storage);
      if (nodes) await this.appendFromQuery(tx, caller.adAccountId, { sql: `${nodes.sql} order by ${ident(SYS.seq)}, ${ident(SYS.rid)}`, bindings: nodes.bindings });
    }
  }

  /** Validates a lookup request's kind (the value is normalised by the caller's namespace rules). */
  static checkKind(kind: string): void {
    if (!/^[a-z_]+$|^ns_[A-Za-z0-9_.-]+$/.test(kind)) throw new InvalidRequest(`Unknown identity kind "${kind}"`);
  }
}
