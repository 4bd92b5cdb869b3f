/**
 * The registry of first-party targets (맞춤타겟) of every kind: customer files, friend groups,
 * ad-response targets, pixel & SDK targets, MAT links and lookalikes. Each kind's own module owns
 * its settings, files and population query; this registry owns what they share, so it is the same
 * for all of them: names unique per kind and ad account, at most KIND_LIMIT per kind, a population
 * row (populations module), usage (who targets it) and deletion refused while in use.
 */
import type { Db, Queryable, Tx } from '../core/db';
import { newId } from '../core/ids';
import { Conflict, Duplicate, LimitExceeded, NotFound, ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import type { AuditService } from '../audit/service';
import type { PopulationService, PopulationView } from '../populations/service';
import type { SqlFragment } from '../universe/service';

export const TARGET_KINDS = ['customer_file', 'friend_group', 'ad_response', 'pixel', 'mat', 'lookalike'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Kakao Moment: at most 30 of each kind per ad account. */
export const KIND_LIMIT = 30;

export const KIND_NAMES: Record<TargetKind, { en: string; ko: string }> = {
  customer_file: { en: 'customer file', ko: '고객파일' },
  friend_group: { en: 'friend group', ko: '친구그룹' },
  ad_response: { en: 'ad-response target', ko: '광고반응타겟' },
  pixel: { en: 'pixel & SDK target', ko: '픽셀 & SDK 타겟' },
  mat: { en: 'MAT link', ko: 'MAT 연동' },
  lookalike: { en: 'lookalike target', ko: '유사타겟' },
};

export interface TargetRow {
  id: string;
  ad_account_id: string;
  kind: TargetKind;
  name: string;
  settings: Record<string, unknown>;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Something that uses a target (an ad group's targeting, an activation, a lookalike's seed…). */
export interface TargetUser {
  type: 'ad_group' | 'campaign' | 'audience' | 'activation' | 'lookalike';
  id: string;
  name: string;
  /** include / exclude for ad group targeting, seed for lookalikes. */
  role?: string;
  campaign?: { id: string; name: string; type: string };
}

export type UsageProvider = (q: Queryable, caller: Caller, targetIds: readonly string[]) => Promise<Map<string, TargetUser[]>>;

/** What every target DTO starts with. */
export interface TargetBase {
  id: string;
  kind: TargetKind;
  name: string;
  population: PopulationView;
  createdAt: string;
  updatedAt: string;
}

export interface TargetCreate {
  kind: TargetKind;
  name: string;
  settings?: Record<string, unknown>;
  id?: string;
  /** Refresh cadence of its population. */
  cadenceMs: number;
  /** Below this the population shows too_small 모수부족. */
  minimum: number;
}

export class TargetService {
  private readonly usageProviders: UsageProvider[] = [];

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    readonly populations: PopulationService,
  ) {}

  /** Modules that reference targets (ad groups, activations, lookalikes) say who uses what. */
  useUsage(provider: UsageProvider): void {
    this.usageProviders.push(provider);
  }

  /**
   * Inserts a target and its population row in the caller's transaction (the kind module inserts
   * its own rows in the same one). Call `queueCount(id)` once the transaction committed.
   */
  async create(tx: Tx, caller: Caller, input: TargetCreate): Promise<TargetRow> {
    // Serialise creations per account and kind so the limit holds under concurrency.
    await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`targets:${caller.adAccountId}:${input.kind}`]);
    const [{ n }] = await tx('targets').where({ ad_account_id: caller.adAccountId, kind: input.kind }).count({ n: '*' });
    const what = KIND_NAMES[input.kind];
    if (Number(n) >= KIND_LIMIT) {
      throw new LimitExceeded(`An ad account can have at most ${KIND_LIMIT} ${what.en}s (${what.ko}); delete one and try again`, {
        errors: [{ pointer: '', rule: 'limit', message: `at most ${KIND_LIMIT} ${what.en}s per ad account`, params: { limit: KIND_LIMIT } }],
        limit: KIND_LIMIT,
      });
    }
    await this.assertNameFree(tx, caller, input.kind, input.name);
    const [row] = await tx<TargetRow>('targets')
      .insert({
        id: input.id ?? newId('tgt'),
        ad_account_id: caller.adAccountId,
        kind: input.kind,
        name: input.name,
        settings: JSON.stringify(input.settings ?? {}) as never,
        created_by: caller.keyId,
      })
      .returning('*');
    await this.populations.track(tx, { adAccountId: caller.adAccountId, subjectType: input.kind, subjectId: row.id, cadenceMs: input.cadenceMs, minimum: input.minimum });
    await this.audit.record(tx, caller, { action: 'create', resourceType: 'target', resourceId: row.id, after: { kind: row.kind, name: row.name, settings: row.settings } });
    return row;
  }

  async queueCount(id: string): Promise<void> {
    await this.populations.queue(id);
  }

  async find(q: Queryable, caller: Caller, kind: TargetKind | null, id: string, forUpdate = false): Promise<TargetRow> {
    const query = q<TargetRow>('targets').where({ id, ad_account_id: caller.adAccountId });
    if (kind) query.where({ kind });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`${kind ? capitalise(KIND_NAMES[kind].en) : 'Target'} ${id} not found`);
    return row;
  }

  async list(q: Queryable, caller: Caller, kind?: TargetKind): Promise<TargetRow[]> {
    const query = q<TargetRow>('targets').where({ ad_account_id: caller.adAccountId });
    if (kind) query.where({ kind });
    return query.orderBy('id', 'desc');
  }

  async rename(tx: Tx, caller: Caller, kind: TargetKind, id: string, name: string): Promise<TargetRow> {
    const before = await this.find(tx, caller, kind, id, true);
    if (before.name === name) return before;
    await this.assertNameFree(tx, caller, kind, name, id);
    const [row] = await tx<TargetRow>('targets').where({ id }).update({ name, updated_at: tx.fn.now() }).returning('*');
    await this.audit.record(tx, caller, { action: 'update', resourceType: 'target', resourceId: id, before: { name: before.name }, after: { name } });
    return row;
  }

  /** Stores new settings (kind modules validate them) and makes the population due now. */
  async updateSettings(tx: Tx, caller: Caller, kind: TargetKind, id: string, settings: Record<string, unknown>): Promise<TargetRow> {
    const before = await this.find(tx, caller, kind, id, true);
    const [row] = await tx<TargetRow>('targets').where({ id }).update({ settings: JSON.stringify(settings) as never, updated_at: tx.fn.now() }).returning('*');
    await this.populations.markDue(tx, [id]);
    await this.audit.record(tx, caller, { action: 'update', resourceType: 'target', resourceId: id, before: { settings: before.settings }, after: { settings } });
    return row;
  }

  /** Deletes a target nobody uses (409 listing the users otherwise); kind rows cascade. */
  async delete(caller: Caller, kind: TargetKind, id: string, beforeDelete?: (tx: Tx, row: TargetRow) => Promise<void>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.find(tx, caller, kind, id, true);
      const users = (await this.usageOf(tx, caller, [id])).get(id) ?? [];
      if (users.length > 0) {
        throw new Conflict(
          `${capitalise(KIND_NAMES[kind].en)} "${row.name}" is used by ${users.map(describeUser).join(', ')}; remove it from them first`,
          { usage: users },
        );
      }
      if (beforeDelete) await beforeDelete(tx, row);
      await this.populations.forget(tx, id);
      await tx('targets').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'target', resourceId: id, before: { kind: row.kind, name: row.name } });
    });
  }

  async usageOf(q: Queryable, caller: Caller, ids: readonly string[]): Promise<Map<string, TargetUser[]>> {
    const out = new Map<string, TargetUser[]>();
    for (const provider of this.usageProviders) {
      for (const [id, users] of await provider(q, caller, ids)) out.set(id, [...(out.get(id) ?? []), ...users]);
    }
    return out;
  }

  async usage(caller: Caller, id: string): Promise<{ targetId: string; items: TargetUser[] }> {
    await this.find(this.db, caller, null, id);
    return { targetId: id, items: (await this.usageOf(this.db, caller, [id])).get(id) ?? [] };
  }

  /** Base DTOs (population included) of rows, in order. */
  async bases(q: Queryable, rows: readonly TargetRow[], failedLabel?: string): Promise<TargetBase[]> {
    const views = await this.populations.views(q, rows.map((r) => r.id), failedLabel);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      population: views.get(r.id)!,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  async base(q: Queryable, row: TargetRow, failedLabel?: string): Promise<TargetBase> {
    return (await this.bases(q, [row], failedLabel))[0];
  }

  /** Every target of the account (all kinds), newest first. */
  async listAll(caller: Caller, kind?: TargetKind): Promise<TargetBase[]> {
    return this.bases(this.db, await this.list(this.db, caller, kind));
  }

  /** How many targets of each kind the account has, against the per-kind limit (the lists' n / 30). */
  async counts(caller: Caller): Promise<Record<TargetKind, number>> {
    const rows: { kind: TargetKind; n: string }[] = await this.db('targets').where({ ad_account_id: caller.adAccountId }).groupBy('kind').select('kind').count({ n: '*' });
    const out = Object.fromEntries(TARGET_KINDS.map((k) => [k, 0])) as Record<TargetKind, number>;
    for (const r of rows) out[r.kind] = Number(r.n);
    return out;
  }

  /**
   * The targets an ad group may use: each must exist in the caller's account and have a usable
   * population (not preparing 준비중 or failed 생성실패). `pointer` names the request field.
   */
  async resolveForTargeting(q: Queryable, caller: Caller, ids: readonly string[], pointer: string): Promise<TargetRow[]> {
    const rows = ids.length ? await q<TargetRow>('targets').where({ ad_account_id: caller.adAccountId }).whereIn('id', ids) : [];
    const views = await this.populations.views(q, ids);
    return ids.map((id, i) => {
      const row = rows.find((r) => r.id === id);
      if (!row) throw ruleError(`${pointer}/${i}`, 'exists', `Target ${id} not found in this ad account`);
      const view = views.get(id);
      if (!view?.usable) {
        throw ruleError(
          `${pointer}/${i}`,
          'usable',
          `${capitalise(KIND_NAMES[row.kind].en)} "${row.name}" is ${view?.state ?? 'preparing'} (${view?.label ?? '준비중'}) and cannot be used for targeting until its population is ready`,
        );
      }
      return row;
    });
  }

  /** SQL of the people a target reaches now (column person_id). */
  async peopleOf(q: Queryable, caller: Caller, row: TargetRow): Promise<SqlFragment> {
    return this.populations.peopleOf(q, caller.adAccountId, row.kind, row.id);
  }

  async refresh(caller: Caller, id: string): Promise<TargetBase> {
    const row = await this.find(this.db, caller, null, id);
    await this.populations.refreshNow(id);
    return this.base(this.db, row);
  }

  private async assertNameFree(q: Queryable, caller: Caller, kind: TargetKind, name: string, exceptId?: string): Promise<void> {
    const query = q('targets').where({ ad_account_id: caller.adAccountId, kind }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) {
      throw new Duplicate(`A ${KIND_NAMES[kind].en} named "${name}" already exists in this ad account; choose another name`, {
        errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }],
      });
    }
  }
}

function describeUser(u: TargetUser): string {
  const what = u.type.replace('_', ' ');
  return u.campaign ? `${what} "${u.name}" of campaign "${u.campaign.name}"` : `${what} "${u.name}"`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
