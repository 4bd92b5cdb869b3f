/**
 * One build's computation (see the service's header): in one transaction, the seed's people and
 * every person's features in temporary tables, a model trained on samples of the seed and of the
 * others with a hold-out for its quality, then every non-seed person scored chunk by chunk and the
 * best `size` % kept in lookalike_scores.
 */
import type { Db, Queryable } from '../core/db';
import type { SqlFragment } from '../universe/service';
import { densify, FeaturePlan, FeatureReader, vocabulary } from './features';
import { auc, holdOut, recallAt, Standardizer, TopScores, train } from './model';
import { minimumMessage, SeedRefused } from './seeds';
import { Computed, LookalikeRow, MAX_SEED_SAMPLE, SEED_MINIMUM } from './types';

/** What the service has prepared for a build. */
export interface BuildInput {
  row: LookalikeRow;
  /** The seed's name as resolved when the build started. */
  seedName: string;
  /** The seed's people now. */
  seed: SqlFragment;
  /** Every person of the account's universe. */
  everyone: SqlFragment;
  plan: FeaturePlan;
  now: Date;
  /** People scored per query. */
  chunkPeople: number;
}

/** Trains, scores the universe into lookalike_scores and returns what finish() needs. */
export async function trainAndScore(db: Db, features: FeatureReader, input: BuildInput): Promise<Computed> {
  const { row, seedName, seed, everyone, plan, now, chunkPeople } = input;
  const a = row.ad_account_id;
  const id = row.target_id;
  // One transaction holds the build's temporary tables (the seed's people, every person's
  // features), so each source is read once, not once per chunk of the universe.
  return db.transaction(async (tx) => {
    await tx.raw(`create temp table lookalike_seed (person_id bigint primary key) on commit drop`);
    await tx.raw(`insert into lookalike_seed (person_id) select distinct s.person_id from (${seed.sql}) s`, [...seed.bindings]);
    await tx.raw(`analyze lookalike_seed`);
    const seedPopulation = await count(tx, { sql: 'select person_id from lookalike_seed', bindings: [] });
    if (seedPopulation < SEED_MINIMUM[row.seed_type]) throw new SeedRefused(minimumMessage(row.seed_type, seedName, seedPopulation));
    const universePeople = await count(tx, everyone);
    const salt = `${id}:${row.builds + 1}`;

    // Samples in a random order fixed by the build (md5 of person and salt): reproducible, and the
    // first 20 % of each is the hold-out.
    const seedSample = await ids(tx, `select s.person_id::text as id from lookalike_seed s order by md5(s.person_id::text || ?), s.person_id limit ?`, [
      salt,
      MAX_SEED_SAMPLE,
    ]);
    const otherSample = await ids(
      tx,
      `select p.person_id::text as id from (${everyone.sql}) p
       where not exists (select 1 from lookalike_seed s where s.person_id = p.person_id)
       order by md5(p.person_id::text || ?), p.person_id limit ?`,
      [...everyone.bindings, salt, seedSample.length],
    );
    const base = { seedPopulation, universePeople, seedName: seedName };
    if (otherSample.length === 0) {
      return { ...base, k: 0, scored: 0, trainingSeed: 0, trainingOthers: 0, features: 0, topFeatures: [], quality: null };
    }

    const store = await features.load(tx, a, plan, now);
    const sample = await store.read({ ids: [...seedSample, ...otherSample] });
    const vocab = vocabulary(plan, sample);
    const seedSplit = holdOut(seedSample);
    const otherHoldout = otherSample.slice(0, seedSplit.holdout.length);
    const otherTrain = otherSample.slice(seedSplit.holdout.length);
    const raw = (ids: readonly string[]) => ids.map((p) => densify(vocab, sample.get(p)));
    const standardizer = Standardizer.fit([...raw(seedSplit.train), ...raw(otherTrain)], vocab.keys.length);
    const x = (ids: readonly string[]) => raw(ids).map((r) => standardizer.transform(r));
    const model = train(x(seedSplit.train), x(otherTrain));
    const heldSeed = model.scores(x(seedSplit.holdout));
    const heldOthers = model.scores(x(otherHoldout));

    // Score every non-seed person, chunk by chunk (rows in one typed array, standardised in place);
    // only the best `size` % can become members, so only they are kept and stored.
    await tx('lookalike_scores').where({ target_id: id }).delete();
    const width = vocab.keys.length;
    const z = new Float64Array(width);
    const top = new TopScores(Math.round((row.size / 100) * universePeople));
    let after = '0';
    let scored = 0;
    for (;;) {
      const people = await ids(tx, `select p.person_id::text as id from (${everyone.sql}) p where p.person_id > ? order by p.person_id limit ?`, [
        ...everyone.bindings,
        after,
        chunkPeople,
      ]);
      if (people.length === 0) break;
      const range = { after, upTo: people[people.length - 1] };
      const inSeed = new Set(await ids(tx, `select s.person_id::text as id from lookalike_seed s where s.person_id > ? and s.person_id <= ?`, [range.after, range.upTo]));
      const candidates = inSeed.size ? people.filter((p) => !inSeed.has(p)) : people;
      const rows = await store.readRows(vocab, candidates, range);
      for (let i = 0; i < candidates.length; i++) top.add(candidates[i], model.score(standardizer.transformInto(rows, z, i * width)));
      scored += candidates.length;
      after = range.upTo;
    }

    // k = min(scored, size % of the universe): the people kept.
    const best = top.ranked();
    const k = best.people.length;
    for (let i = 0; i < k; i += chunkPeople) {
      await tx.raw(`insert into lookalike_scores (target_id, ad_account_id, person_id, score) select ?, ?, t.p, t.s from unnest(?::bigint[], ?::float8[]) as t(p, s)`, [
        id,
        a,
        best.people.slice(i, i + chunkPeople),
        best.scores.slice(i, i + chunkPeople),
      ]);
    }
    const recallAtSize = k > 0 ? round(recallAt(heldSeed, best.scores[k - 1])) : null;
    const weights = model.weights.slice(1).map((w, j) => ({ feature: vocab.labels[j], weight: round(w) }));
    return {
      ...base,
      k,
      scored,
      trainingSeed: seedSplit.train.length,
      trainingOthers: otherTrain.length,
      features: vocab.keys.length,
      topFeatures: weights.filter((w) => w.weight !== 0).sort((p, q) => Math.abs(q.weight) - Math.abs(p.weight)).slice(0, 10),
      quality: { auc: finite(auc(heldSeed, heldOthers)), recallAtSize, heldOutSeed: heldSeed.length, heldOutOthers: heldOthers.length },
    };
  });
}

async function count(q: Queryable, people: SqlFragment): Promise<number> {
  const { rows } = await q.raw(`select count(*)::bigint as n from (${people.sql}) p`, [...people.bindings]);
  return Number(rows[0].n);
}

async function ids(q: Queryable, sql: string, bindings: readonly unknown[]): Promise<string[]> {
  const { rows } = await q.raw(sql, bindings as never);
  return (rows as { id: string }[]).map((r) => r.id);
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? round(x) : null;
}
