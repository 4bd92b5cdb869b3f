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
 */
import type { Db } from '../core/db';
import type { Caller } from '../core/types';
import type { DatasetService, DatasetStorage } from '../datasets/service';
import type { PersonSelector, ProfileAggregate, SqlFragment, UniverseService } from '../universe/service';

export const MAX_CATEGORIES = 30;
/** At most this many attribute features per build (a runaway schema cannot blow up the model). */
export const MAX_ATTRIBUTE_FEATURES = 300;
const DAY_MS = 24 * 60 * 60 * 1000;

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

export class FeatureReader {
  constructor(
    private readonly db: Db,
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

  /** Every feature of the selected people (attributes and behaviour), sparse. */
  async read(adAccountId: string, plan: FeaturePlan, people: PersonSelector, now: Date): Promise<SparseFeatures> {
    const out: SparseFeatures = new Map();
    const put = (personId: string, key: string, value: number) => {
      let m = out.get(personId);
      if (!m) out.set(personId, (m = new Map()));
      m.set(key, value);
    };
    for (const d of plan.datasets) {
      const sql = this.universe.profileAttributes(d.storage, d.aggregates, people);
      if (!sql) continue;
      const { rows } = await this.db.raw(sql.sql, [...sql.bindings]);
      for (const row of rows as Record<string, string | number | null>[]) {
        const personId = String(row.person_id);
        d.features.forEach((f, i) => {
          const v = row[`a${i}`];
          if (v !== null && v !== undefined) put(personId, f.key, Number(v));
        });
      }
    }
    for (const source of this.behaviour) {
      const from = new Date(now.getTime() - (source.windowDays ?? 365_000) * DAY_MS);
      const sql = this.universe.featureRows(adAccountId, source.records(adAccountId, from), people);
      const { rows } = await this.db.raw(sql.sql, [...sql.bindings]);
      for (const row of rows as { person_id: string; feature: string; value: number }[]) {
        if (plan.excluded.has(row.feature)) continue;
        put(String(row.person_id), row.feature, Math.log1p(Number(row.value)));
      }
    }
    return out;
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
