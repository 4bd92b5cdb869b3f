/**
 * Prospect profiles: one per (identity namespace, identity value) across the account's
 * profile-enabled prospect datasets. A profile's attributes are the current record of each dataset
 * holding that identity, merged attribute by attribute with the most recently merged batch winning
 * (a null never overwrites a value). Nothing is copied: profiles are read from the dataset tables,
 * so deleting a batch or a dataset removes its contribution at once.
 */
import { Db } from '../core/db';
import { InvalidRequest, NotFound, ruleError } from '../core/errors';
import { ident } from '../core/sql';
import { DEFAULT_PAGE_SIZE } from '../core/pagination';
import type { Caller } from '../core/types';
import type { DatasetService } from '../datasets/service';
import { qualifiedData, SYS } from '../datasets/storage';
import { normalizeIdentity } from '../namespaces/identity';
import type { Namespace, NamespaceService } from '../namespaces/service';

export interface ProfileRow {
  namespace: { id: string; code: string; name: string };
  identity: string;
  datasets: string[];
  lastLoadedAt: string;
}

export interface Profile {
  namespace: { id: string; code: string; name: string; type: string };
  identity: string;
  attributes: Record<string, unknown>;
  /** The datasets and batches that hold this identity (oldest merge first). */
  sources: { datasetId: string; datasetName: string; batchId: string; loadedAt: string }[];
  /** Field path (dotted, as in the schema) → the dataset and batch whose value won the merge. */
  attributeSources: Record<string, { datasetId: string; datasetName: string; batchId: string }>;
  audienceMemberships: unknown[];
}

export interface BrowseQuery {
  namespace?: string;
  datasetId?: string;
  attribute?: string;
  value?: string;
  limit?: number;
  cursor?: string;
}

type MembershipLookup = (caller: Caller, namespaceId: string, identity: string) => Promise<unknown[]>;

export class ProfileService {
  private memberships?: MembershipLookup;

  /** The audiences module answers which audiences a profile is in (it depends on us, not the reverse). */
  useMemberships(lookup: MembershipLookup): void {
    this.memberships = lookup;
  }

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetService,
    private readonly namespaces: NamespaceService,
  ) {}

  async browse(caller: Caller, query: BrowseQuery = {}): Promise<{ items: ProfileRow[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if ((query.attribute === undefined) !== (query.value === undefined)) {
      throw new InvalidRequest('attribute and value go together', {
        errors: [{ pointer: query.attribute === undefined ? '/query/attribute' : '/query/value', rule: 'together', message: 'attribute and value filter together' }],
      });
    }
    const namespace = query.namespace ? await this.namespaces.get(caller, query.namespace) : undefined;
    let datasets = await this.datasets.profileDatasets(caller, 'prospect');
    if (namespace) datasets = datasets.filter((d) => d.primary_namespace_id === namespace.id);
    if (query.datasetId) datasets = datasets.filter((d) => d.id === query.datasetId);
    const cursor = decodeProfileCursor(query.cursor);

    const parts: string[] = [];
    const bindings: (string | number)[] = [];
    for (const d of datasets) {
      let filter = '';
      const local: (string | number)[] = [d.primary_namespace_id, d.id];
      if (query.attribute !== undefined) {
        const column = (await this.datasets.columnsOf(this.db, d.id)).find((c) => c.fieldPath === query.attribute);
        if (!column) continue;
        filter += ` and ${ident(column.columnName)}::text = ?`;
        local.push(query.value!);
      }
      if (cursor) {
        filter += ` and (?::text, ${ident(SYS.identity)}) > (?::text, ?::text)`;
        local.push(d.primary_namespace_id, cursor[0], cursor[1]);
      }
      parts.push(
        `select ?::text as namespace_id, ${ident(SYS.identity)} as identity, ?::text as dataset_id, ${ident(SYS.loadedAt)} as loaded_at
         from ${qualifiedData(d.table_name)} where ${ident(SYS.current)} and ${ident(SYS.profile)}${filter}`,
      );
      bindings.push(...local);
    }
    if (parts.length === 0) return { items: [], nextCursor: null };
    const sql = `select namespace_id, identity, array_agg(dataset_id order by dataset_id) as datasets, max(loaded_at) as loaded_at
      from (${parts.join(' union all ')}) p
      group by namespace_id, identity
      order by namespace_id, identity
      limit ?`;
    const rows: { namespace_id: string; identity: string; datasets: string[]; loaded_at: Date }[] = (await this.db.raw(sql, [...bindings, limit + 1])).rows;
    const page = rows.slice(0, limit);
    const nsById = new Map<string, Namespace>();
    for (const id of new Set(page.map((r) => r.namespace_id))) nsById.set(id, await this.namespaces.get(caller, id));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => {
        const ns = nsById.get(r.namespace_id)!;
        return { namespace: { id: ns.id, code: ns.code, name: ns.name }, identity: r.identity, datasets: r.datasets, lastLoadedAt: r.loaded_at.toISOString() };
      }),
      nextCursor: rows.length > limit ? Buffer.from(JSON.stringify([last.namespace_id, last.identity])).toString('base64url') : null,
    };
  }

  /** One profile by namespace (id or code) and identity value (normalised like ingestion does). */
  async get(caller: Caller, namespaceRef: string, rawValue: string): Promise<Profile> {
    const ns = await this.namespaces.get(caller, namespaceRef);
    const normal = normalizeIdentity(ns, rawValue);
    if (!normal.ok) throw ruleError('/query/value', normal.rule, `${rawValue} is not a valid ${ns.code} identity: ${normal.message}`, 400);
    const datasets = (await this.datasets.profileDatasets(caller, 'prospect')).filter((d) => d.primary_namespace_id === ns.id);
    const contributions: { seq: number; dataset: (typeof datasets)[number]; batchId: string; loadedAt: Date; values: Record<string, unknown> }[] = [];
    for (const d of datasets) {
      const columns = await this.datasets.columnsOf(this.db, d.id);
      // Positional aliases: field paths can be longer than an identifier may be.
      const select = columns.map((c, i) => `${ident(c.columnName)} as ${ident(`f${i}`)}`).join(', ');
      const row = (
        await this.db.raw(
          `select ${ident(SYS.batch)} as batch, ${ident(SYS.seq)} as seq, ${ident(SYS.loadedAt)} as loaded_at${select ? ', ' + select : ''}
           from ${qualifiedData(d.table_name)} where ${ident(SYS.identity)} = ? and ${ident(SYS.current)} and ${ident(SYS.profile)}`,
          [normal.value],
        )
      ).rows[0];
      if (!row) continue;
      const values: Record<string, unknown> = {};
      columns.forEach((c, i) => {
        const v = row[`f${i}`];
        // bigint arrives as text; XDM integers stay within ±2^53 (the parser enforces it).
        values[c.fieldPath] = c.kind === 'integer' && typeof v === 'string' ? Number(v) : v;
      });
      contributions.push({ seq: Number(row.seq), dataset: d, batchId: row.batch, loadedAt: row.loaded_at, values });
    }
    if (contributions.length === 0) throw new NotFound(`No prospect profile ${ns.code}:${normal.value}`);
    contributions.sort((a, b) => a.seq - b.seq);
    const merged: Record<string, unknown> = {};
    const attributeSources: Profile['attributeSources'] = {};
    for (const c of contributions) {
      for (const [path, v] of Object.entries(c.values)) {
        if (v === null || v === undefined) continue;
        merged[path] = v;
        attributeSources[path] = { datasetId: c.dataset.id, datasetName: c.dataset.name, batchId: c.batchId };
      }
    }
    return {
      namespace: { id: ns.id, code: ns.code, name: ns.name, type: ns.type },
      identity: normal.value,
      attributes: nest(merged),
      sources: contributions.map((c) => ({ datasetId: c.dataset.id, datasetName: c.dataset.name, batchId: c.batchId, loadedAt: c.loadedAt.toISOString() })),
      attributeSources,
      audienceMemberships: this.memberships ? await this.memberships(caller, ns.id, normal.value) : [],
    };
  }
}

function decodeProfileCursor(cursor: string | undefined): [string, string] | undefined {
  if (!cursor) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')) return v as [string, string];
  } catch {
    // fall through
  }
  throw new InvalidRequest('cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', rule: 'cursor', message: 'is not a cursor returned by this API' }] });
}

/** `{ 'a.b': 1 }` → `{ a: { b: 1 } }`; dates become ISO strings. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const parts = path.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}
