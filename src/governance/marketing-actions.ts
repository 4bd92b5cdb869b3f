/** Marketing actions of an ad account: the core ones (labels.ts) read-only, custom ones managed here. */
import type { Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { preview, requireText } from './checks';
import { CORE_MARKETING_ACTIONS, CORE_MARKETING_ACTIONS_BY_NAME, CUSTOM_NAME_RE } from './labels';
import type { GovernanceContext, MarketingAction, MarketingActionRow, PolicyRow } from './types';

const toCustomAction = (r: MarketingActionRow): MarketingAction => ({
  name: r.name,
  displayName: r.name,
  description: r.description,
  core: false,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export async function listMarketingActions(ctx: GovernanceContext, caller: Caller): Promise<MarketingAction[]> {
  const rows = await ctx.db<MarketingActionRow>('marketing_actions').where('ad_account_id', caller.adAccountId).orderBy('name');
  return [...CORE_MARKETING_ACTIONS.map((a) => ({ ...a, core: true })), ...rows.map(toCustomAction)];
}

export async function getMarketingAction(ctx: GovernanceContext, caller: Caller, name: string): Promise<MarketingAction> {
  const core = CORE_MARKETING_ACTIONS_BY_NAME.get(name);
  if (core) return { ...core, core: true };
  const row = await ctx.db<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name }).first();
  if (!row) throw new NotFound(`Marketing action "${name}" not found (names are case-sensitive; GET /v1/marketing-actions lists them)`);
  return toCustomAction(row);
}

export async function createMarketingAction(ctx: GovernanceContext, caller: Caller, input: { name: string; description?: string }): Promise<MarketingAction> {
  requireText(input.name, '/name', 'name', 64);
  if (!CUSTOM_NAME_RE.test(input.name)) {
    throw ruleError('/name', 'pattern', 'name must start with a letter and contain only letters, digits, "_" and "-" (at most 64 characters)');
  }
  requireText(input.description, '/description', 'description', 2000, true);
  if (CORE_MARKETING_ACTIONS_BY_NAME.has(input.name)) {
    throw new Duplicate(`"${input.name}" is a core marketing action; use it as it is or choose another name`, {
      errors: [{ pointer: '/name', rule: 'core-marketing-action', message: 'is a core marketing action' }],
    });
  }
  const similarCore = CORE_MARKETING_ACTIONS.find((a) => a.name.toLowerCase() === input.name.toLowerCase());
  if (similarCore) {
    throw ruleError('/name', 'core-marketing-action', `"${input.name}" differs from the core marketing action ${similarCore.name} only by case; names are case-sensitive, so choose one that cannot be mistaken for it`);
  }
  return ctx.db.transaction(async (tx) => {
    const clash = await tx<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name: input.name }).first();
    if (clash) {
      throw new Duplicate(`Marketing action "${input.name}" already exists`, {
        errors: [{ pointer: '/name', rule: 'unique', message: 'is already a marketing action of this ad account' }],
      });
    }
    const [row] = await tx<MarketingActionRow>('marketing_actions')
      .insert({ id: newId('mka'), ad_account_id: caller.adAccountId, name: input.name, description: input.description ?? '' })
      .returning('*');
    const action = toCustomAction(row);
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'marketing_action', resourceId: action.name, after: action });
    return action;
  });
}

export async function updateMarketingAction(ctx: GovernanceContext, caller: Caller, name: string, patch: { description?: string }): Promise<MarketingAction> {
  if (CORE_MARKETING_ACTIONS_BY_NAME.has(name)) throw new Conflict(`Core marketing action ${name} is read-only`);
  requireText(patch.description, '/description', 'description', 2000, true);
  return ctx.db.transaction(async (tx) => {
    const before = await lockMarketingAction(tx, caller, name);
    if (patch.description === undefined) return toCustomAction(before);
    const [row] = await tx<MarketingActionRow>('marketing_actions')
      .where({ id: before.id })
      .update({ description: patch.description, updated_at: new Date() })
      .returning('*');
    const action = toCustomAction(row);
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'marketing_action', resourceId: name, before: toCustomAction(before), after: action });
    return action;
  });
}

/** Refused (409, listing them) while a policy uses the action. */
export async function deleteMarketingAction(ctx: GovernanceContext, caller: Caller, name: string): Promise<void> {
  if (CORE_MARKETING_ACTIONS_BY_NAME.has(name)) throw new Conflict(`Core marketing action ${name} is read-only and cannot be deleted`);
  await ctx.db.transaction(async (tx) => {
    const before = await lockMarketingAction(tx, caller, name);
    const policies = await tx<PolicyRow>('policies')
      .where('ad_account_id', caller.adAccountId)
      .whereRaw('? = any(marketing_actions)', [name])
      .orderBy('name')
      .select('id', 'name');
    if (policies.length > 0) {
      throw new Conflict(
        `Marketing action ${name} is used by ${policies.length} polic${policies.length > 1 ? 'ies' : 'y'}: ${preview(policies.map((p) => `"${p.name}" (${p.id})`))}. Remove it from them first.`,
        { usedBy: { policies: policies.map((p) => ({ id: p.id, name: p.name })) } },
      );
    }
    await tx('marketing_actions').where({ id: before.id }).delete();
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'marketing_action', resourceId: name, before: toCustomAction(before) });
  });
}

export async function lockMarketingAction(tx: Tx, caller: Caller, name: string): Promise<MarketingActionRow> {
  const row = await tx<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name }).forUpdate().first();
  if (!row) throw new NotFound(`Marketing action "${name}" not found (names are case-sensitive; GET /v1/marketing-actions lists them)`);
  return row;
}

/** Findings for names that are neither core nor custom marketing actions (custom ones locked in a tx). */
export async function unknownMarketingActions(q: Queryable, caller: Caller, names: readonly string[], pointerOf: (i: number) => string): Promise<FieldError[]> {
  const candidates = [...new Set(names.filter((n) => !CORE_MARKETING_ACTIONS_BY_NAME.has(n)))];
  const known = new Set<string>();
  if (candidates.length > 0) {
    const query = q<MarketingActionRow>('marketing_actions').where('ad_account_id', caller.adAccountId).whereIn('name', candidates).select('name');
    if ((q as Tx).isTransaction) query.forShare();
    for (const r of await query) known.add(r.name);
  }
  const errors: FieldError[] = [];
  names.forEach((name, i) => {
    if (CORE_MARKETING_ACTIONS_BY_NAME.has(name) || known.has(name)) return;
    const hint = CORE_MARKETING_ACTIONS.find((a) => a.name.toLowerCase() === name.toLowerCase());
    errors.push({
      pointer: pointerOf(i),
      rule: 'marketing-action',
      message: hint
        ? `Marketing action "${name}" does not exist; names are case-sensitive — did you mean "${hint.name}"?`
        : `Marketing action "${name}" does not exist; GET /v1/marketing-actions lists them, POST /v1/marketing-actions creates a custom one`,
    });
  });
  return errors;
}
