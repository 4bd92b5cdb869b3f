/**
 * Lookalike targets (유사타겟): people of the account's universe who resemble a seed — a customer file
 * (고객파일, population ≥ 2,000) or Kakao users (카카오 사용자: the friends of one of the account's
 * talk channels, or an ad-response target; population ≥ 1,000).
 *
 * - Two steps as on the Kakao screens: `seeds()` lists every candidate with its population and
 *   whether it is selectable; `create()` takes the chosen seed, a name (generated from the seed's
 *   name when omitted) and a size of 1–10 % of the universe (the reach/similarity choice).
 * - The build (a background job, never in the request): a logistic regression of the seed against a
 *   random sample of non-seed people on first-party attributes and behaviour (features.ts,
 *   model.ts); 20 % of the seed sample and an equal non-seed sample are held out to report AUC and
 *   recall at the chosen size. Every person's features are read once per build into temporary
 *   tables of the build's transaction; every non-seed person of the universe is then scored in
 *   chunks of CHUNK_PEOPLE (keyset on person_id, so memory stays bounded), the top `size` % of the
 *   scores (kept in a heap) go to an unlogged scratch table and become the members — one identity node per person, so later
 *   merges in the universe keep resolving them. Population = those members' people (populations
 *   module, minimum 1,000).
 * - States: STANDBY 준비중 (first build queued or running) → AVAILABLE 사용가능 / SEED_NOT_ENOUGH
 *   모수부족 (fewer than 1,000 people) / ERROR 사용불가 (the first build failed for good: delete and
 *   create again). A failed REbuild keeps the previous result and says so in `error`.
 * - Auto-update (on by default): rebuilt from the seed's latest population 7 days + a deterministic
 *   offset of up to 48 h (a hash of the target id) after each build, so accounts do not all rebuild
 *   at once; off = never rebuilt. The tick claims due builds with FOR UPDATE SKIP LOCKED and a
 *   lease, on `clock` time.
 * - Names, the limit of 30, usage in ad group targeting and delete-while-used are the registry's. A
 *   seed used by lookalikes cannot be deleted (its usage lists them); a lookalike is never a seed.
 */
import { createHash } from 'node:crypto';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable } from '../core/db';
import { Conflict, isCdpError, ruleError } from '../core/errors';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import type { Caller } from '../core/types';
import type { DatasetService } from '../datasets/service';
import type { ChannelUser, FriendGroupService } from '../friend-groups/service';
import { DAY_MS, type PopulationService } from '../populations/service';
import type { TargetBase, TargetRow, TargetService, TargetUser } from '../targets/service';
import type { SqlFragment, UniverseService } from '../universe/service';
import { BehaviourSource, densify, FeatureReader, vocabulary } from './features';
import { auc, holdOut, recallAt, Standardizer, TopScores, train } from './model';

export const LOOKALIKE_BUILD_JOB = 'lookalikes.build';
export const LOOKALIKE_TICK_JOB = 'lookalikes.tick';

export const SEED_TYPES = ['CUSTOMER_FILE', 'KAKAO_USERS'] as const;
export type SeedType = (typeof SEED_TYPES)[number];
export type SeedKind = 'customer_file' | 'talk_channel' | 'ad_response';

/** Kakao: customer files of at least 2,000 people, Kakao users of at least 1,000. */
export const SEED_MINIMUM: Record<SeedType, number> = { CUSTOMER_FILE: 2000, KAKAO_USERS: 1000 };
/** A result below this many people is 모수부족 (SEED_NOT_ENOUGH). */
export const LOOKALIKE_MINIMUM = 1000;
export const DEFAULT_SIZE = 5;
export const MAX_SIZE = 10;
/** People scored per query while streaming over the universe. */
export const CHUNK_PEOPLE = 50_000;
/** Seed people sampled for training and hold-out (as many non-seed people are sampled). */
export const MAX_SEED_SAMPLE = 4000;
export const AUTO_UPDATE_BASE_MS = 7 * DAY_MS;
export const AUTO_UPDATE_SPREAD_MS = 2 * DAY_MS;
const LEASE_MS = 30 * 60_000;
const RETRY_MS = 60_000;
const REBUILD_RETRY_MS = 60 * 60_000;
const MAX_ATTEMPTS = 3;
const MAX_NAME = 100;
const KIND = 'lookalike';

export type LookalikeStatus = 'STANDBY' | 'AVAILABLE' | 'ERROR' | 'SEED_NOT_ENOUGH';
export const STATUS_LABELS: Record<LookalikeStatus, string> = {
  STANDBY: '준비중',
  AVAILABLE: '사용가능',
  ERROR: '사용불가',
  SEED_NOT_ENOUGH: '모수부족',
};
const SEED_TYPE_LABELS: Record<SeedType, string> = { CUSTOMER_FILE: '고객파일', KAKAO_USERS: '카카오 사용자' };

export interface SeedCandidate {
  type: SeedType;
  kind: SeedKind;
  id: string;
  name: string;
  /** People of the account's universe in the seed now (null: not counted yet). */
  population: number | null;
  minimum: number;
  selectable: boolean;
  reason?: string;
}

export interface LookalikeQuality {
  /** Area under the ROC curve of held-out seed people vs an equal held-out non-seed sample. */
  auc: number | null;
  /** Share of held-out seed people who score within the chosen size (the top `size` % cut-off). */
  recallAtSize: number | null;
  heldOutSeed: number;
  heldOutOthers: number;
}

export interface BuildReport {
  number: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  seedPopulation: number;
  universePeople: number;
  scoredPeople: number;
  /** People among the members when the build completed. */
  resultPeople: number;
  trainingSeed: number;
  trainingOthers: number;
  features: number;
  /** The strongest features (standardised weights), most seed-like first. */
  topFeatures: { feature: string; weight: number }[];
  quality: LookalikeQuality | null;
}

export interface Lookalike extends Omit<TargetBase, 'updatedAt'> {
  status: LookalikeStatus;
  statusLabel: string;
  seed: { type: SeedType; typeLabel: string; kind: SeedKind; id: string; name: string; population: number; minimum: number };
  size: number;
  autoUpdate: boolean;
  /** 타겟 업데이트 일시: when the last build completed (null before the first). */
  updatedAt: string | null;
  /** When it was created or last renamed (the registry row). */
  modifiedAt: string;
  nextBuildAt: string | null;
  building: boolean;
  builds: number;
  quality: LookalikeQuality | null;
  lastBuild: BuildReport | null;
  error: string | null;
  usage: TargetUser[];
}

export interface LookalikeInput {
  seed: { type: SeedType; id: string };
  name?: string;
  size?: number;
  autoUpdate?: boolean;
}

interface LookalikeRow {
  target_id: string;
  ad_account_id: string;
  seed_type: SeedType;
  seed_kind: SeedKind;
  seed_id: string;
  seed_name: string;
  seed_population: string;
  size: number;
  auto_update: boolean;
  status: LookalikeStatus;
  error: string | null;
  revision: number;
  builds: number;
  attempts: number;
  built_at: Date | null;
  next_build_at: Date | null;
  lease_until: Date | null;
  last_build: BuildReport | null;
}

type ResolvedSeed = Omit<SeedCandidate, 'selectable' | 'reason'> & {
  /** Why it cannot be counted (not counted yet, failed). */
  unavailable?: string;
};

/** The seed cannot be used (gone, too small): the build is refused rather than retried. */
class SeedRefused extends Error {}

/** 7 days + a deterministic offset within 48 h from a hash of the target id. */
export function autoUpdateDelayMs(targetId: string): number {
  const h = createHash('sha256').update(targetId).digest().readUIntBE(0, 6);
  return AUTO_UPDATE_BASE_MS + (h % AUTO_UPDATE_SPREAD_MS);
}

export function minimumMessage(type: SeedType, name: string, population: number | null): string {
  const min = SEED_MINIMUM[type].toLocaleString('en-US');
  const ko = type === 'CUSTOMER_FILE' ? `모수가 ${min}명 이상인 고객파일만 선택할 수 있습니다` : `모수가 ${min}명 이상인 카카오 콘텐츠만 선택할 수 있습니다`;
  const what = type === 'CUSTOMER_FILE' ? 'customer file' : 'Kakao users';
  return `${ko} / a ${what} seed needs a population of at least ${min}: "${name}" has ${population === null ? 'not been counted yet' : population.toLocaleString('en-US')}`;
}

export class LookalikeService {
  private readonly features: FeatureReader;
  /** People scored per chunk (tests lower it to cross chunk boundaries on a small universe). */
  chunkPeople = CHUNK_PEOPLE;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly targets: TargetService,
    private readonly populations: PopulationService,
    private readonly universe: UniverseService,
    datasets: DatasetService,
    private readonly channels: FriendGroupService,
    behaviour: readonly BehaviourSource[],
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.features = new FeatureReader(universe, datasets, behaviour);
    populations.register({ type: KIND, people: async (_q, adAccountId, subjectId) => this.membersPeople(adAccountId, subjectId) });
  }

  // ---- step 1: seeds ---------------------------------------------------------------------------

  /** Every seed candidate (customer files, talk channels' friends, ad-response targets) with its population. */
  async seeds(caller: Caller): Promise<SeedCandidate[]> {
    await this.universe.linkPending(caller.adAccountId);
    const out: SeedCandidate[] = [];
    for (const kind of ['customer_file', 'ad_response'] as const) {
      const rows = await this.targets.list(this.db, caller, kind);
      const views = await this.populations.views(this.db, rows.map((r) => r.id));
      for (const r of rows) out.push(candidate(seedOfTarget(r, views.get(r.id))));
    }
    for (const channel of await this.channels.listChannels(caller)) {
      out.push(candidate({ type: 'KAKAO_USERS', kind: 'talk_channel', id: channel.id, name: channel.name, population: await this.channelPopulation(caller.adAccountId, channel.id), minimum: SEED_MINIMUM.KAKAO_USERS }));
    }
    return out;
  }

  // ---- step 2 and the rest of the life cycle -----------------------------------------------------

  async create(caller: Caller, input: LookalikeInput): Promise<Lookalike> {
    const size = input.size ?? DEFAULT_SIZE;
    checkSize(size);
    await this.universe.linkPending(caller.adAccountId);
    const seed = await this.resolveSeed(this.db, caller, input.seed);
    if (seed.unavailable) throw ruleError('/seed/id', 'population', seed.unavailable);
    if (seed.population === null || seed.population < seed.minimum) throw ruleError('/seed/id', 'minimum', minimumMessage(seed.type, seed.name, seed.population));
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const name = input.name ?? (await this.freeName(tx, caller, autoName(seed.name, size)));
      const target = await this.targets.create(tx, caller, {
        kind: KIND,
        name,
        settings: { seed: { type: seed.type, kind: seed.kind, id: seed.id }, size, autoUpdate: input.autoUpdate ?? true },
        cadenceMs: DAY_MS,
        minimum: LOOKALIKE_MINIMUM,
      });
      // Nothing to count (or to target) before the first build.
      await this.populations.hold(tx, [target.id]);
      await tx('lookalikes').insert({
        target_id: target.id,
        ad_account_id: caller.adAccountId,
        seed_type: seed.type,
        seed_kind: seed.kind,
        seed_id: seed.id,
        seed_name: seed.name,
        seed_population: seed.population,
        size,
        auto_update: input.autoUpdate ?? true,
        status: 'STANDBY',
        next_build_at: now,
      });
      return target;
    });
    await this.queueBuild(row.id);
    return this.get(caller, row.id);
  }

  async list(caller: Caller): Promise<Lookalike[]> {
    return this.dtos(caller, await this.targets.list(this.db, caller, KIND));
  }

  async get(caller: Caller, id: string): Promise<Lookalike> {
    return (await this.dtos(caller, [await this.targets.find(this.db, caller, KIND, id)]))[0];
  }

  /** Rename; change the size (rebuilt at once) or auto-update (off: never rebuilt). */
  async update(caller: Caller, id: string, patch: { name?: string; size?: number; autoUpdate?: boolean }): Promise<Lookalike> {
    if (patch.size !== undefined) checkSize(patch.size);
    const now = this.clock.now();
    const rebuild = await this.db.transaction(async (tx) => {
      await this.targets.find(tx, caller, KIND, id, true);
      if (patch.name !== undefined) await this.targets.rename(tx, caller, KIND, id, patch.name);
      const row = await tx<LookalikeRow>('lookalikes').where({ target_id: id }).forUpdate().first();
      if (!row) throw new Error(`lookalike ${id} has no definition`);
      const change: Record<string, unknown> = {};
      let due = row.next_build_at;
      const sizeChanged = patch.size !== undefined && patch.size !== row.size;
      if (sizeChanged) {
        if (row.status === 'ERROR') {
          throw new Conflict(`Lookalike "${id}" is 사용불가 (ERROR): it cannot be rebuilt; delete it and create it again`);
        }
        change.size = patch.size;
        change.revision = row.revision + 1;
        due = now;
      }
      if (patch.autoUpdate !== undefined && patch.autoUpdate !== row.auto_update) {
        change.auto_update = patch.autoUpdate;
        // A build already due (the first one, a size change) still runs; only the periodic one goes or comes.
        const pendingNow = due !== null && due.getTime() <= now.getTime();
        if (!pendingNow && row.status !== 'ERROR') {
          if (!patch.autoUpdate) due = null;
          else if (row.built_at) due = new Date(Math.max(now.getTime(), row.built_at.getTime() + autoUpdateDelayMs(id)));
        }
      }
      if (Object.keys(change).length === 0) return false;
      await tx('lookalikes').where({ target_id: id }).update({ ...change, next_build_at: due, updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, {
        action: 'update',
        resourceType: 'target',
        resourceId: id,
        before: { size: row.size, autoUpdate: row.auto_update },
        after: { size: patch.size ?? row.size, autoUpdate: patch.autoUpdate ?? row.auto_update },
      });
      return sizeChanged;
    });
    if (rebuild) await this.queueBuild(id);
    return this.get(caller, id);
  }

  /** Refused while an ad group uses it (registry); members and scratch scores go with it. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, KIND, id, async (tx) => {
      await tx('lookalike_scores').where({ target_id: id }).delete();
    });
  }

  // ---- usage of seeds --------------------------------------------------------------------------

  /** Registry usage: the customer files and ad-response targets that are seeds of lookalikes. */
  async seedUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
    const out = new Map<string, TargetUser[]>();
    if (targetIds.length === 0) return out;
    const rows: { target_id: string; seed_id: string }[] = await q('lookalikes')
      .where({ ad_account_id: caller.adAccountId })
      .whereIn('seed_id', [...targetIds])
      .orderBy('target_id')
      .select('target_id', 'seed_id');
    if (rows.length === 0) return out;
    const names = new Map((await this.targets.list(q, caller, KIND)).map((t) => [t.id, t.name]));
    for (const r of rows) out.set(r.seed_id, [...(out.get(r.seed_id) ?? []), { type: 'lookalike', id: r.target_id, name: names.get(r.target_id) ?? r.target_id, role: 'seed' }]);
    return out;
  }

  /** Talk channel usage: lookalikes seeded with the channel's friends. */
  async channelUsage(q: Queryable, caller: Caller, channelId: string): Promise<ChannelUser[]> {
    const used = (await this.seedUsage(q, caller, [channelId])).get(channelId) ?? [];
    return used.map((u) => ({ type: 'lookalike', id: u.id, name: u.name }));
  }

  // ---- builds ----------------------------------------------------------------------------------

  /** Tick: runs every due build (first builds, size changes, auto-updates). Returns how many ran. */
  async tick(): Promise<number> {
    let built = 0;
    for (;;) {
      const row = await this.claim(null);
      if (!row) return built;
      await this.build(row);
      built++;
    }
  }

  /** Job: builds one lookalike if it is due and no other worker holds it. */
  async buildNow(targetId: string): Promise<boolean> {
    const row = await this.claim(targetId);
    if (!row) return false;
    await this.build(row);
    return true;
  }

  private async queueBuild(targetId: string): Promise<void> {
    try {
      await this.jobs.enqueue(LOOKALIKE_BUILD_JOB, { targetId });
    } catch (err) {
      // The row is due in PostgreSQL: the next tick builds it anyway.
      this.log.warn({ targetId, err: (err as Error).message }, 'lookalike: could not queue the build; the tick will run it');
    }
  }

  private async claim(targetId: string | null): Promise<LookalikeRow | null> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const q = tx<LookalikeRow>('lookalikes')
        .where('next_build_at', '<=', now)
        .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
        .orderBy('next_build_at')
        .limit(1)
        .forUpdate()
        .skipLocked();
      if (targetId) q.where({ target_id: targetId });
      const [row] = await q;
      if (!row) return null;
      await tx('lookalikes').where({ target_id: row.target_id }).update({ lease_until: new Date(now.getTime() + LEASE_MS), updated_at: tx.fn.now() });
      return row;
    });
  }

  private async build(row: LookalikeRow): Promise<void> {
    const startedAt = this.clock.now();
    const t0 = Date.now();
    const caller: Caller = { keyId: `system:lookalike:${row.target_id}`, role: 'marketer', organizationId: '', adAccountId: row.ad_account_id, orgWide: false };
    try {
      const result = await this.compute(caller, row, startedAt);
      await this.finish(row, result, startedAt, Date.now() - t0);
    } catch (err) {
      await this.fail(row, err);
    } finally {
      await this.db('lookalike_scores').where({ target_id: row.target_id }).delete();
    }
  }

  /** Trains, scores the universe into lookalike_scores and returns what finish() needs. */
  private async compute(caller: Caller, row: LookalikeRow, now: Date): Promise<Computed> {
    const a = row.ad_account_id;
    const id = row.target_id;
    await this.universe.linkPending(a);
    const seedSeen = await this.resolveSeed(this.db, caller, { type: row.seed_type, id: row.seed_id }).catch((err) => {
      if (isCdpError(err)) throw new SeedRefused(`The seed ${row.seed_name} (${row.seed_id}) is no longer there`);
      throw err;
    });
    const seed = await this.seedPeople(caller, row);
    const everyone = this.universe.allPeople(a);
    const excluded = new Set(row.seed_kind === 'talk_channel' ? [`friend:${row.seed_id}`] : []);
    const plan = await this.features.plan(caller, excluded);
    // One transaction holds the build's temporary tables (the seed's people, every person's
    // features), so each source is read once, not once per chunk of the universe.
    return this.db.transaction(async (tx) => {
      await tx.raw(`create temp table lookalike_seed (person_id bigint primary key) on commit drop`);
      await tx.raw(`insert into lookalike_seed (person_id) select distinct s.person_id from (${seed.sql}) s`, [...seed.bindings]);
      await tx.raw(`analyze lookalike_seed`);
      const seedPopulation = await this.count(tx, { sql: 'select person_id from lookalike_seed', bindings: [] });
      if (seedPopulation < SEED_MINIMUM[row.seed_type]) throw new SeedRefused(minimumMessage(row.seed_type, seedSeen.name, seedPopulation));
      const universePeople = await this.count(tx, everyone);
      const salt = `${id}:${row.builds + 1}`;

      // Samples in a random order fixed by the build (md5 of person and salt): reproducible, and the
      // first 20 % of each is the hold-out.
      const seedSample = await this.ids(tx, `select s.person_id::text as id from lookalike_seed s order by md5(s.person_id::text || ?), s.person_id limit ?`, [
        salt,
        MAX_SEED_SAMPLE,
      ]);
      const otherSample = await this.ids(
        tx,
        `select p.person_id::text as id from (${everyone.sql}) p
         where not exists (select 1 from lookalike_seed s where s.person_id = p.person_id)
         order by md5(p.person_id::text || ?), p.person_id limit ?`,
        [...everyone.bindings, salt, seedSample.length],
      );
      const base = { seedPopulation, universePeople, seedName: seedSeen.name };
      if (otherSample.length === 0) {
        return { ...base, k: 0, scored: 0, trainingSeed: 0, trainingOthers: 0, features: 0, topFeatures: [], quality: null };
      }

      const store = await this.features.load(tx, a, plan, now);
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
        const people = await this.ids(tx, `select p.person_id::text as id from (${everyone.sql}) p where p.person_id > ? order by p.person_id limit ?`, [
          ...everyone.bindings,
          after,
          this.chunkPeople,
        ]);
        if (people.length === 0) break;
        const range = { after, upTo: people[people.length - 1] };
        const inSeed = new Set(await this.ids(tx, `select s.person_id::text as id from lookalike_seed s where s.person_id > ? and s.person_id <= ?`, [range.after, range.upTo]));
        const candidates = inSeed.size ? people.filter((p) => !inSeed.has(p)) : people;
        const rows = await store.readRows(vocab, candidates, range);
        for (let i = 0; i < candidates.length; i++) top.add(candidates[i], model.score(standardizer.transformInto(rows, z, i * width)));
        scored += candidates.length;
        after = range.upTo;
      }

      // k = min(scored, size % of the universe): the people kept.
      const best = top.ranked();
      const k = best.people.length;
      for (let i = 0; i < k; i += this.chunkPeople) {
        await tx.raw(`insert into lookalike_scores (target_id, person_id, score) select ?, t.p, t.s from unnest(?::bigint[], ?::float8[]) as t(p, s)`, [
          id,
          best.people.slice(i, i + this.chunkPeople),
          best.scores.slice(i, i + this.chunkPeople),
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

  /** Swaps the members in one transaction and records the build; the population is counted at once. */
  private async finish(row: LookalikeRow, c: Computed, startedAt: Date, durationMs: number): Promise<void> {
    const id = row.target_id;
    const finishedAt = this.clock.now();
    const stored = await this.db.transaction(async (tx) => {
      const current = await tx<LookalikeRow>('lookalikes').where({ target_id: id }).forUpdate().first();
      if (!current) return false; // deleted meanwhile
      await tx('lookalike_members').where({ target_id: id }).delete();
      if (c.k > 0) {
        const nodes = this.universe.nodeOfEachPerson(row.ad_account_id, {
          sql: 'select person_id from lookalike_scores where target_id = ? order by score desc, person_id limit ?',
          bindings: [id, c.k],
        });
        await tx.raw(`insert into lookalike_members (target_id, node) select ?, n.node from (${nodes.sql}) n on conflict do nothing`, [id, ...nodes.bindings]);
      }
      const resultPeople = await this.populations.countPeople(tx, row.ad_account_id, this.membersPeople(row.ad_account_id, id), false);
      const report: BuildReport = {
        number: current.builds + 1,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs,
        seedPopulation: c.seedPopulation,
        universePeople: c.universePeople,
        scoredPeople: c.scored,
        resultPeople,
        trainingSeed: c.trainingSeed,
        trainingOthers: c.trainingOthers,
        features: c.features,
        topFeatures: c.topFeatures,
        quality: c.quality,
      };
      // A size change while this build ran: build again at once with the new size.
      const next = current.revision !== row.revision ? finishedAt : current.auto_update ? new Date(finishedAt.getTime() + autoUpdateDelayMs(id)) : null;
      await tx('lookalikes')
        .where({ target_id: id })
        .update({
          status: resultPeople >= LOOKALIKE_MINIMUM ? 'AVAILABLE' : 'SEED_NOT_ENOUGH',
          error: null,
          attempts: 0,
          builds: current.builds + 1,
          built_at: finishedAt,
          seed_name: c.seedName,
          seed_population: c.seedPopulation,
          last_build: JSON.stringify(report),
          next_build_at: next,
          lease_until: null,
          updated_at: tx.fn.now(),
        });
      await this.populations.markDue(tx, [id]);
      return true;
    });
    if (stored) await this.populations.refresh(id);
    this.log.info({ targetId: id, durationMs, k: c.k, auc: c.quality?.auc }, 'lookalike built');
  }

  private async fail(row: LookalikeRow, err: unknown): Promise<void> {
    const now = this.clock.now();
    const message = err instanceof Error ? err.message : String(err);
    const refused = err instanceof SeedRefused;
    this.log.warn({ targetId: row.target_id, err: message, refused }, 'lookalike build failed');
    const change: Record<string, unknown> = { attempts: row.attempts + 1, lease_until: null, updated_at: this.db.fn.now() };
    if (row.builds === 0) {
      const givenUp = refused || row.attempts + 1 >= MAX_ATTEMPTS;
      change.status = givenUp ? 'ERROR' : 'STANDBY';
      change.error = givenUp ? `${message}; delete the lookalike and create it again (사용불가)` : `The build failed (${message}); retrying`;
      change.next_build_at = givenUp ? null : new Date(now.getTime() + RETRY_MS);
    } else {
      // The previous result stays in use; try again at the next auto-update (seed problems) or soon.
      change.error = `The rebuild of ${now.toISOString()} failed (${message}); the result of ${row.built_at?.toISOString()} stays in use`;
      change.next_build_at = refused ? (row.auto_update ? new Date(now.getTime() + autoUpdateDelayMs(row.target_id)) : null) : new Date(now.getTime() + REBUILD_RETRY_MS);
    }
    await this.db('lookalikes').where({ target_id: row.target_id }).update(change);
  }

  // ---- seeds and people ------------------------------------------------------------------------

  private async resolveSeed(q: Queryable, caller: Caller, seed: { type: SeedType; id: string }): Promise<ResolvedSeed> {
    const target = await this.targets.find(q, caller, null, seed.id).catch((err) => {
      if (isCdpError(err) && err.status === 404) return null;
      throw err;
    });
    if (seed.type === 'CUSTOMER_FILE') {
      if (!target || target.kind !== 'customer_file') throw ruleError('/seed/id', 'exists', `Customer file ${seed.id} not found in this ad account (고객파일)`);
      return seedOfTarget(target, await this.populations.view(q, target.id));
    }
    if (target) {
      if (target.kind !== 'ad_response') {
        throw ruleError('/seed/id', 'seed-kind', `Kakao users seeds are a talk channel's friends or an ad-response target; "${target.name}" is a ${target.kind.replace('_', ' ')}`);
      }
      return seedOfTarget(target, await this.populations.view(q, target.id));
    }
    const channel = await this.channels.assertChannel(q, caller, seed.id, '/seed/id');
    return { type: 'KAKAO_USERS', kind: 'talk_channel', id: channel.id, name: channel.name, population: await this.channelPopulation(caller.adAccountId, channel.id), minimum: SEED_MINIMUM.KAKAO_USERS };
  }

  /** The seed's people now (throws SeedRefused when it is gone). */
  private async seedPeople(caller: Caller, row: LookalikeRow): Promise<SqlFragment> {
    if (row.seed_kind === 'talk_channel') return this.channels.channelFriendsPeople(row.ad_account_id, row.seed_id);
    const target = await this.targets.find(this.db, caller, null, row.seed_id).catch(() => null);
    if (!target) throw new SeedRefused(`The seed ${row.seed_name} (${row.seed_id}) was deleted`);
    return this.targets.peopleOf(this.db, caller, target);
  }

  private async channelPopulation(adAccountId: string, channelId: string): Promise<number> {
    return this.populations.countPeople(this.db, adAccountId, this.channels.channelFriendsPeople(adAccountId, channelId), false);
  }

  private membersPeople(adAccountId: string, targetId: string): SqlFragment {
    return this.universe.peopleOfNodes(adAccountId, { sql: 'select node from lookalike_members where target_id = ?', bindings: [targetId] }, { unique: true });
  }

  private async count(q: Queryable, people: SqlFragment): Promise<number> {
    const { rows } = await q.raw(`select count(*)::bigint as n from (${people.sql}) p`, [...people.bindings]);
    return Number(rows[0].n);
  }

  private async ids(q: Queryable, sql: string, bindings: readonly unknown[]): Promise<string[]> {
    const { rows } = await q.raw(sql, bindings as never);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  /** A generated name that is free: "… (2)", "… (3)" after a clash. */
  private async freeName(q: Queryable, caller: Caller, base: string): Promise<string> {
    const taken = new Set((await this.targets.list(q, caller, KIND)).map((t) => t.name.toLowerCase()));
    if (!taken.has(base.toLowerCase())) return base;
    for (let i = 2; ; i++) {
      const suffix = ` (${i})`;
      const name = base.slice(0, MAX_NAME - suffix.length) + suffix;
      if (!taken.has(name.toLowerCase())) return name;
    }
  }

  private async dtos(caller: Caller, rows: TargetRow[]): Promise<Lookalike[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const defs = new Map((await this.db<LookalikeRow>('lookalikes').whereIn('target_id', ids)).map((d) => [d.target_id, d]));
    const [bases, usage, seedTargets, channels] = await Promise.all([
      this.targets.bases(this.db, rows),
      this.targets.usageOf(this.db, caller, ids),
      this.targets.list(this.db, caller),
      this.channels.listChannels(caller),
    ]);
    const names = new Map<string, string>([...seedTargets.map((t) => [t.id, t.name] as const), ...channels.map((c) => [c.id, c.name] as const)]);
    const now = this.clock.now();
    return rows.map((r, i) => {
      const d = defs.get(r.id)!;
      const { updatedAt: modifiedAt, ...base } = bases[i];
      return {
        ...base,
        status: d.status,
        statusLabel: STATUS_LABELS[d.status],
        seed: {
          type: d.seed_type,
          typeLabel: SEED_TYPE_LABELS[d.seed_type],
          kind: d.seed_kind,
          id: d.seed_id,
          name: names.get(d.seed_id) ?? d.seed_name,
          population: Number(d.seed_population),
          minimum: SEED_MINIMUM[d.seed_type],
        },
        size: d.size,
        autoUpdate: d.auto_update,
        updatedAt: d.built_at?.toISOString() ?? null,
        modifiedAt,
        nextBuildAt: d.next_build_at?.toISOString() ?? null,
        building: d.lease_until !== null && d.lease_until.getTime() > now.getTime(),
        builds: d.builds,
        quality: d.last_build?.quality ?? null,
        lastBuild: d.last_build,
        error: d.error,
        usage: usage.get(r.id) ?? [],
      };
    });
  }
}

interface Computed {
  seedPopulation: number;
  universePeople: number;
  seedName: string;
  /** Members to keep: the top k scores. */
  k: number;
  scored: number;
  trainingSeed: number;
  trainingOthers: number;
  features: number;
  topFeatures: { feature: string; weight: number }[];
  quality: LookalikeQuality | null;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    throw ruleError('/size', 'range', `size is 1 to ${MAX_SIZE} (% of the universe): 1 keeps the most similar people, ${MAX_SIZE} reaches the most`);
  }
}

function seedOfTarget(target: TargetRow, view: { state: string; count: number | null; label: string } | null | undefined): ResolvedSeed {
  const type: SeedType = target.kind === 'customer_file' ? 'CUSTOMER_FILE' : 'KAKAO_USERS';
  const counted = view && view.count !== null && view.state !== 'failed';
  return {
    type,
    kind: target.kind === 'customer_file' ? 'customer_file' : 'ad_response',
    id: target.id,
    name: target.name,
    population: counted ? view.count : null,
    minimum: SEED_MINIMUM[type],
    unavailable: counted ? undefined : `"${target.name}" has no population yet (${view?.label ?? '준비중'}); choose it once it is counted`,
  };
}

function candidate(seed: ResolvedSeed): SeedCandidate {
  const selectable = !seed.unavailable && seed.population !== null && seed.population >= seed.minimum;
  return {
    type: seed.type,
    kind: seed.kind,
    id: seed.id,
    name: seed.name,
    population: seed.population,
    minimum: seed.minimum,
    selectable,
    ...(selectable ? {} : { reason: seed.unavailable ?? minimumMessage(seed.type, seed.name, seed.population) }),
  };
}

/** `<seed name> 유사타겟 5%`, at most MAX_NAME characters. */
export function autoName(seedName: string, size: number): string {
  const tail = ` 유사타겟 ${size}%`;
  const room = MAX_NAME - tail.length;
  return (seedName.length > room ? `${seedName.slice(0, Math.max(1, room - 1))}…` : seedName) + tail;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? round(x) : null;
}
