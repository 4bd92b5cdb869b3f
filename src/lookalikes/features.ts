/**
 * Lookalike features per person of the account's universe, read through the services that own the
 * data (no other module's tables are read here):
 *
 * - first-party attributes: every profile-enabled first-party dataset (Individual Profile) — booleans,
 *   integers and numbers as numeric features, strings with at most MAX_CATEGORIES distinct values
 *   one-hot (one feature per value); identity fields, dates, arrays and free text are left out. A
 *   person's current profile records are joined through any of their identities; several records
 *   are averaged (booleans: the share of true).
 * - behaviour, as log(1 + count): pixel & SDK events per event type (last 120 days), ad reactions
 *   per type (last 90 days, qualifying plays only), MAT postbacks per event (last 120 days) and
 *   friendships per talk channel — each a `BehaviourSource` wired in src/services.ts.
 *
 * Attribute features are planned before training (the schema says what exists); behaviour features
 * are the ones present in the training sample (an event type nobody in the sample has carries no
 * weight). Missing attributes are NaN (imputed with the mean by the standardiser); missing
 * behaviour is a count of 0.
 *
 * A build reads every source once (`FeatureReader.load`): the features of every person go into
 * temporary tables of the build's transaction, indexed by person, from which the training sample
 * and then the universe, range by range, are read. Reading the sources per group of people instead
 * would scan every record once per group.
 */
import type { Tx } from '../core/db';
import { ident } from '../core/sql';
import type { Caller } from '../core/types';
import type { DatasetService, DatasetStorage } from '../datasets/service';
import type { ProfileAggregate, SqlFragment, UniverseService } from '../universe/service';

export const MAX_CATEGORIES = 30;
/** At most this many attribute features per build (a runaway schema cannot blow up the model). */
export const MAX_ATTRIBUTE_FEATURES = 300;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Records looked at first when telling whether a text column has few enough values. */
const PROBE_RECORDS = 10_000;

/** A first-party source of behaviour records `(record_key, nodes text[], feature, value)`. */
export interface BehaviourSource {
  name: string;
  /** Records since this many days back (null: no window, e.g. friendships). */
  windowDays: number | null;
  records(adAccountId: string, from: Date): SqlFragment;
}

export interface AttributeFeature {
  key: string;
  label: string;
  /** NaN when the person has no value (numbers, booleans); 0 for one-hot columns. */
  missing: number;
}

interface DatasetPlan {
  storage: DatasetStorage;
  aggregates: ProfileAggregate[];
  features: AttributeFeature[];
}

export interface FeaturePlan {
  datasets: DatasetPlan[];
  attributes: AttributeFeature[];
  /** Behaviour feature keys never used (e.g. friendship with the channel that is the seed). */
  excluded: ReadonlySet<string>;
}

/** Sparse features of people: person_id → feature key → value. */
export type SparseFeatures = Map<string, Map<string, number>>;

/** The vocabulary a model is trained on: feature keys in column order, with labels. */
export interface Vocabulary {
  keys: string[];
  labels: string[];
  /** Value when a person has none (NaN: impute; 0: a count or one-hot). */
  missing: number[];
}

/** Which people a read covers: a person_id range (a chunk of the universe) or a list (a sample). */
export type PersonSelector = { after: string; upTo: string } | { ids: readonly string[] };

export class FeatureReader {
  constructor(
    private readonly universe: UniverseService,
    private readonly datasets: DatasetService,
    private readonly behaviour: readonly BehaviourSource[],
  ) {}

  /** Which attribute features the account's profile datasets offer. */
  async plan(caller: Caller, excluded: ReadonlySet<string>): Promise<FeaturePlan> {
    const datasets: DatasetPlan[] = [];
    let total = 0;
    for (const dataset of await this.datasets.profileDatasets(caller, 'first_party')) {
      const storage = await this.datasets.storage(caller, dataset.id);
      const identityPaths = new Set(storage.fields.filter((f) => f.identity).map((f) => f.path));
      const plan: DatasetPlan = { storage, aggregates: [], features: [] };
      for (const column of storage.columns) {
        if (column.system || identityPaths.has(column.fieldPath) || total >= MAX_ATTRIBUTE_FEATURES) continue;
        const base = `profile:${dataset.id}:${column.fieldPath}`;
        if (column.kind === 'integer' || column.kind === 'number' || column.kind === 'boolean') {
          plan.aggregates.push({ column: column.columnName, as: column.kind === 'boolean' ? 'boolean' : 'number' });
          plan.features.push({ key: base, label: column.fieldPath, missing: Number.NaN });
          total++;
        } else if (column.kind === 'string') {
          // Most text columns hold ids or names: a slice of the records settles those at once.
          if (await this.universe.profileValuesExceed(storage, column.columnName, MAX_CATEGORIES, PROBE_RECORDS)) continue;
          const values = await this.universe.profileValueCounts(storage, column.columnName, MAX_CATEGORIES + 1);
          // High-cardinality text (names, ids, addresses) says nothing a one-hot column could carry.
          if (values.length === 0 || values.length > MAX_CATEGORIES) continue;
          for (const { value } of values) {
            if (total >= MAX_ATTRIBUTE_FEATURES) break;
            plan.aggregates.push({ column: column.columnName, as: 'equals', value });
            plan.features.push({ key: `${base}=${value}`, label: `${column.fieldPath} = ${value}`, missing: 0 });
            total++;
          }
        }
      }
      if (plan.features.length > 0) datasets.push(plan);
    }
    return { datasets, attributes: datasets.flatMap((d) => d.features), excluded };
  }

  /**
   * Reads every source once into temporary tables of `tx` (dropped when it ends): one row per person
   * and dataset (`a0, a1, …` as planned) and one per person and behaviour feature (the raw count).
   */
  async load(tx: Tx, adAccountId: string, plan: FeaturePlan, now: Date): Promise<FeatureStore> {
    const attributes: StoredDataset[] = [];
    for (const d of plan.datasets) {
      const sql = this.universe.profileAttributes(d.storage, d.aggregates);
      if (!sql) continue;
      const table = `lookalike_attributes_${attributes.length}`;
      await tx.raw(`create temp table ${ident(table)} on commit drop as ${sql.sql}`, [...sql.bindings]);
      await tx.raw(`create index on ${ident(table)} (person_id)`);
      await tx.raw(`analyze ${ident(table)}`);
      attributes.push({ table, features: d.features });
    }
    await tx.raw(`create temp table lookalike_behaviour (person_id bigint not null, feature text not null, value float8 not null) on commit drop`);
    for (const source of this.behaviour) {
      const from = new Date(now.getTime() - (source.windowDays ?? 365_000) * DAY_MS);
      const sql = this.universe.featureRows(adAccountId, source.records(adAccountId, from));
      await tx.raw(`insert into lookalike_behaviour (person_id, feature, value) select f.person_id, f.feature, f.value from (${sql.sql}) f where f.feature <> all(?::text[])`, [
        ...sql.bindings,
        [...plan.excluded],
      ]);
    }
    await tx.raw(`create index on lookalike_behaviour (person_id)`);
    await tx.raw(`analyze lookalike_behaviour`);
    return new FeatureStore(tx, attributes);
  }
}

interface StoredDataset {
  table: string;
  features: AttributeFeature[];
}

/** The features of every person of the universe, as FeatureReader.load stored them for one build. */
export class FeatureStore {
  constructor(
    private readonly tx: Tx,
    private readonly attributes: readonly StoredDataset[],
  ) {}

  /** Every feature of the selected people (attributes and behaviour), sparse. */
  async read(people: PersonSelector): Promise<SparseFeatures> {
    const out: SparseFeatures = new Map();
    const put = (personId: string, key: string, value: number) => {
      let m = out.get(personId);
      if (!m) out.set(personId, (m = new Map()));
      m.set(key, value);
    };
    for (const d of this.attributes) {
      for (const row of await this.rows(d.table, people)) {
        const personId = String(row.person_id);
        d.features.forEach((f, i) => {
          const v = row[`a${i}`];
          if (v !== null && v !== undefined) put(personId, f.key, Number(v));
        });
      }
    }
    for (const row of await this.rows('lookalike_behaviour', people)) put(String(row.person_id), String(row.feature), Math.log1p(Number(row.value)));
    return out;
  }

  /**
   * Raw rows of `people` (ids within `range`) in vocabulary order, row after row in one array, as
   * `densify` would give them one by one (features outside the vocabulary ignored, missing values
   * from the vocabulary) — without a map per person while the universe is scored.
   */
  async readRows(vocab: Vocabulary, people: readonly string[], range: { after: string; upTo: string }): Promise<Float64Array> {
    const width = vocab.keys.length;
    const out = new Float64Array(people.length * width);
    for (let i = 0; i < people.length; i++) out.set(vocab.missing, i * width);
    const index = new Map<string, number>();
    people.forEach((p, i) => index.set(p, i * width));
    const column = new Map(vocab.keys.map((k, j) => [k, j]));
    for (const d of this.attributes) {
      const columns = d.features.map((f) => column.get(f.key));
      for (const row of await this.rows(d.table, range)) {
        const at = index.get(String(row.person_id));
        if (at === undefined) continue;
        columns.forEach((j, i) => {
          const v = row[`a${i}`];
          if (j !== undefined && v !== null && v !== undefined) out[at + j] = Number(v);
        });
      }
    }
    for (const row of await this.rows('lookalike_behaviour', range)) {
      const at = index.get(String(row.person_id));
      const j = column.get(String(row.feature));
      if (at !== undefined && j !== undefined) out[at + j] = Math.log1p(Number(row.value));
    }
    return out;
  }

  private async rows(table: string, people: PersonSelector): Promise<Record<string, string | number | null>[]> {
    const filter = 'ids' in people ? { sql: 'person_id = any(?::bigint[])', bindings: [[...people.ids]] } : { sql: 'person_id > ? and person_id <= ?', bindings: [people.after, people.upTo] };
    return (await this.tx.raw(`select * from ${ident(table)} where ${filter.sql}`, filter.bindings)).rows;
  }
}

/** The training vocabulary: every planned attribute, then the behaviour features seen in the sample (sorted). */
export function vocabulary(plan: FeaturePlan, sample: SparseFeatures): Vocabulary {
  const attributeKeys = new Set(plan.attributes.map((a) => a.key));
  const behaviour = new Set<string>();
  for (const features of sample.values()) for (const key of features.keys()) if (!attributeKeys.has(key)) behaviour.add(key);
  const sorted = [...behaviour].sort();
  return {
    keys: [...plan.attributes.map((a) => a.key), ...sorted],
    labels: [...plan.attributes.map((a) => a.label), ...sorted],
    missing: [...plan.attributes.map((a) => a.missing), ...sorted.map(() => 0)],
  };
}

/** Dense rows in vocabulary order (features outside the vocabulary are ignored). */
export function densify(vocab: Vocabulary, features: ReadonlyMap<string, number> | undefined): Float64Array {
  const row = Float64Array.from(vocab.missing);
  if (!features) return row;
  vocab.keys.forEach((key, j) => {
    const v = features.get(key);
    if (v !== undefined) row[j] = v;
  });
  return row;
}
