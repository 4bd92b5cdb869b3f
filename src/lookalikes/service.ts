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
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable } from '../core/db';
import { claimDue, drainDue, type DueSpec } from '../core/due';
import { Conflict, isCdpError, ruleError } from '../core/errors';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import { systemCaller, type Caller } from '../core/types';
import type { DatasetService } from '../datasets/service';
import type { ChannelUser, FriendGroupService } from '../friend-groups/service';
import { DAY_MS, type PopulationService, type PopulationSource } from '../populations/service';
import type { TargetRow, TargetService, TargetUser } from '../targets/service';
import type { SqlFragment, UniverseService } from '../universe/service';
import { trainAndScore } from './build';
import { BehaviourSource, FeatureReader } from './features';
import { candidate, minimumMessage, SeedRefused, seedOfTarget } from './seeds';
import { autoName, autoUpdateDelayMs, checkSize } from './settings';
import {
  BuildReport,
  CHUNK_PEOPLE,
  Computed,
  DEFAULT_SIZE,
  Lookalike,
  LOOKALIKE_MINIMUM,
  LookalikeInput,
  LookalikeRow,
  MAX_NAME,
  ResolvedSeed,
  SEED_MINIMUM,
  SEED_TYPE_LABELS,
  SeedCandidate,
  SeedType,
  STATUS_LABELS,
} from './types';

export { autoName, autoUpdateDelayMs } from './settings';
export { minimumMessage } from './seeds';
export { AUTO_UPDATE_BASE_MS, AUTO_UPDATE_SPREAD_MS, CHUNK_PEOPLE, type Lookalike, type LookalikeInput, type SeedCandidate } from './types';

export const LOOKALIKE_BUILD_JOB = 'lookalikes.build';
export const LOOKALIKE_TICK_JOB = 'lookalikes.tick';

const LEASE_MS = 30 * 60_000;
const RETRY_MS = 60_000;
const REBUILD_RETRY_MS = 60 * 60_000;
const MAX_ATTEMPTS = 3;
const KIND = 'lookalike';

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
  }

  /** Lookalikes' populations: their built members (services.ts registers it). */
  readonly populationSources: PopulationSource[] = [{ type: KIND, people: async (_q, adAccountId, subjectId) => this.membersPeople(adAccountId, subjectId) }];

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
    return drainDue(this.db, () => this.clock.now(), this.dueBuild(null), (row) => this.build(row));
  }

  /** Job: builds one lookalike if it is due and no other worker holds it. */
  async buildNow(targetId: string): Promise<boolean> {
    const claimed = await claimDue(this.db, this.clock.now(), this.dueBuild(targetId));
    if (!claimed) return false;
    await this.build(claimed.row);
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

  /** A due build (of one lookalike, or any) whose lease is free; claiming it takes the lease. */
  private dueBuild(targetId: string | null): DueSpec<LookalikeRow> {
    return {
      table: 'lookalikes',
      due: 'next_build_at',
      where: (q, now) => {
        q.where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now));
        if (targetId) q.where({ target_id: targetId });
      },
      key: (row) => ({ target_id: row.target_id }),
      advance: (_row, now) => ({ lease_until: new Date(now.getTime() + LEASE_MS), updated_at: this.db.fn.now() }),
      orderBy: 'next_build_at',
    };
  }

  private async build(row: LookalikeRow): Promise<void> {
    const startedAt = this.clock.now();
    const t0 = Date.now();
    const caller = systemCaller(row.ad_account_id, 'marketer', `lookalike:${row.target_id}`);
    try {
      const result = await this.compute(caller, row, startedAt);
      await this.finish(row, result, startedAt, Date.now() - t0);
    } catch (err) {
      await this.fail(row, err);
    } finally {
      await this.db('lookalike_scores').where({ target_id: row.target_id }).delete();
    }
  }

  /** Resolves the seed and the feature plan, then trains and scores (build.ts). */
  private async compute(caller: Caller, row: LookalikeRow, now: Date): Promise<Computed> {
    const a = row.ad_account_id;
    await this.universe.linkPending(a);
    const seedSeen = await this.resolveSeed(this.db, caller, { type: row.seed_type, id: row.seed_id }).catch((err) => {
      if (isCdpError(err)) throw new SeedRefused(`The seed ${row.seed_name} (${row.seed_id}) is no longer there`);
      throw err;
    });
    const seed = await this.seedPeople(caller, row);
    const everyone = this.universe.allPeople(a);
    const excluded = new Set(row.seed_kind === 'talk_channel' ? [`friend:${row.seed_id}`] : []);
    const plan = await this.features.plan(caller, excluded);
    return trainAndScore(this.db, this.features, { row, seedName: seedSeen.name, seed, everyone, plan, now, chunkPeople: this.chunkPeople });
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
        await tx.raw(`insert into lookalike_members (target_id, ad_account_id, node) select ?, ?, n.node from (${nodes.sql}) n on conflict do nothing`, [
          id,
          row.ad_account_id,
          ...nodes.bindings,
        ]);
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
