/** Policies: marketing actions denied on a label expression; core policies (core-policies.ts) change status, name and description only. */
import type { Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toPage } from '../core/pagination';
import type { Caller, Page } from '../core/types';
import { CORE_POLICIES } from './core-policies';
import { unknownLabels } from './custom-labels';
import { DenyExpression, isLeaf, PolicyStatus } from './engine';
import { unknownMarketingActions } from './marketing-actions';
import { requireStringArray, requireText, throwAll } from './checks';
import type { GovernanceContext, Policy, PolicyRow } from './types';

const STATUSES: readonly PolicyStatus[] = ['DRAFT', 'ENABLED', 'DISABLED'];
const MAX_DENY_DEPTH = 10;

export const toPolicy = (r: PolicyRow): Policy => ({
  id: r.id,
  name: r.name,
  description: r.description,
  status: r.status,
  marketingActions: r.marketing_actions,
  deny: canonicalDeny(r.deny),
  core: r.core_key !== null,
  coreKey: r.core_key,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** `{ label }` / `{ operator, operands }` with keys in that order (jsonb reorders keys). */
function canonicalDeny(expr: DenyExpression): DenyExpression {
  return isLeaf(expr) ? { label: expr.label } : { operator: expr.operator, operands: expr.operands.map(canonicalDeny) };
}

/** Gives a new ad account the core policies (see core-policies.ts for their default status). */
export async function seedCore(tx: Tx, adAccountId: string): Promise<void> {
  const existing = new Set(
    (await tx<PolicyRow>('policies').where({ ad_account_id: adAccountId }).whereNotNull('core_key').select('core_key')).map((r) => r.core_key),
  );
  const rows = CORE_POLICIES.filter((p) => !existing.has(p.coreKey)).map((p) => ({
    id: newId('pol'),
    ad_account_id: adAccountId,
    name: p.name,
    description: p.description,
    status: p.status,
    marketing_actions: p.marketingActions,
    deny: JSON.stringify(p.deny),
    core_key: p.coreKey,
  }));
  if (rows.length > 0) await tx('policies').insert(rows);
}

export async function listPolicies(
  ctx: GovernanceContext,
  caller: Caller,
  query: { status?: PolicyStatus; marketingAction?: string; label?: string; core?: boolean; limit?: number; cursor?: string } = {},
): Promise<Page<Policy>> {
  const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const cursor = decodeCursor(query.cursor);
  const q = ctx.db<PolicyRow>('policies').where('ad_account_id', caller.adAccountId);
  if (query.status) q.where('status', query.status);
  if (query.marketingAction) q.whereRaw('? = any(marketing_actions)', [query.marketingAction]);
  if (query.label) q.whereRaw('jsonb_path_exists(deny, ?::jsonpath, jsonb_build_object(\'l\', ?::text))', ['$.** ? (@.label == $l)', query.label]);
  if (query.core === true) q.whereNotNull('core_key');
  if (query.core === false) q.whereNull('core_key');
  if (cursor) q.where('id', '>', cursor);
  const rows = await q.orderBy('id').limit(limit + 1);
  const page = toPage(rows, limit, (r) => r.id);
  return { items: page.items.map(toPolicy), nextCursor: page.nextCursor };
}

export async function getPolicy(ctx: GovernanceContext, caller: Caller, id: string): Promise<Policy> {
  const row = await ctx.db<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).first();
  if (!row) throw new NotFound(`Policy ${id} not found`);
  return toPolicy(row);
}

export async function createPolicy(
  ctx: GovernanceContext,
  caller: Caller,
  input: { name: string; description?: string; status?: PolicyStatus; marketingActions: string[]; deny: DenyExpression },
): Promise<Policy> {
  requireText(input.name, '/name', 'name', 200);
  requireText(input.description, '/description', 'description', 2000, true);
  const status = input.status ?? 'DRAFT';
  if (!STATUSES.includes(status)) throw ruleError('/status', 'enum', `status must be one of ${STATUSES.join(', ')}`, 400);
  const actions = requireStringArray(input.marketingActions, '/marketingActions', 'marketingActions');
  return ctx.db.transaction(async (tx) => {
    await checkPolicyReferences(tx, caller, actions, input.deny);
    await checkPolicyName(tx, caller, input.name.trim());
    const [row] = await tx<PolicyRow>('policies')
      .insert({
        id: newId('pol'),
        ad_account_id: caller.adAccountId,
        name: input.name.trim(),
        description: input.description ?? '',
        status,
        marketing_actions: [...new Set(actions)],
        deny: JSON.stringify(canonicalDeny(input.deny)) as unknown as DenyExpression,
        core_key: null,
      })
      .returning('*');
    const policy = toPolicy(row);
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'policy', resourceId: policy.id, after: policy });
    return policy;
  });
}

/**
 * Changes name, description, status, marketing actions or deny. Core policies: status, name and
 * description only (409 for a different deny or marketing actions).
 */
export async function updatePolicy(
  ctx: GovernanceContext,
  caller: Caller,
  id: string,
  patch: { name?: string; description?: string; status?: PolicyStatus; marketingActions?: string[]; deny?: DenyExpression },
): Promise<Policy> {
  requireText(patch.name, '/name', 'name', 200, true);
  if (patch.name !== undefined && patch.name.trim() === '') throw ruleError('/name', 'type', 'name must not be blank', 400);
  requireText(patch.description, '/description', 'description', 2000, true);
  if (patch.status !== undefined && !STATUSES.includes(patch.status)) {
    throw ruleError('/status', 'enum', `status must be one of ${STATUSES.join(', ')}`, 400);
  }
  if (patch.marketingActions !== undefined) requireStringArray(patch.marketingActions, '/marketingActions', 'marketingActions');
  return ctx.db.transaction(async (tx) => {
    const row = await tx<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).forUpdate().first();
    if (!row) throw new NotFound(`Policy ${id} not found`);
    const before = toPolicy(row);
    const actionsChange = patch.marketingActions !== undefined && !sameSet(patch.marketingActions, before.marketingActions);
    const denyChange = patch.deny !== undefined && !sameDeny(patch.deny, before.deny);
    if (before.core && (actionsChange || denyChange)) {
      const errors: FieldError[] = [];
      if (actionsChange) errors.push({ pointer: '/marketingActions', rule: 'core-policy', message: 'cannot change on a core policy' });
      if (denyChange) errors.push({ pointer: '/deny', rule: 'core-policy', message: 'cannot change on a core policy' });
      throw new Conflict(
        `"${before.name}" is a core policy: only its status, name and description can change. Create your own policy for other rules.`,
        { errors },
      );
    }
    if (actionsChange || denyChange) {
      await checkPolicyReferences(tx, caller, patch.marketingActions ?? before.marketingActions, patch.deny ?? before.deny, {
        actions: actionsChange,
        deny: denyChange,
      });
    }
    const changes: Record<string, unknown> = {};
    if (patch.name !== undefined && patch.name.trim() !== before.name) {
      await checkPolicyName(tx, caller, patch.name.trim(), id);
      changes.name = patch.name.trim();
    }
    if (patch.description !== undefined && patch.description !== before.description) changes.description = patch.description;
    if (patch.status !== undefined && patch.status !== before.status) changes.status = patch.status;
    if (actionsChange) changes.marketing_actions = [...new Set(patch.marketingActions)];
    if (denyChange) changes.deny = JSON.stringify(canonicalDeny(patch.deny!));
    if (Object.keys(changes).length === 0) return before;
    const [updated] = await tx<PolicyRow>('policies')
      .where({ id })
      .update({ ...changes, updated_at: new Date() })
      .returning('*');
    const after = toPolicy(updated);
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'policy', resourceId: id, before, after });
    return after;
  });
}

export async function deletePolicy(ctx: GovernanceContext, caller: Caller, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await tx<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).forUpdate().first();
    if (!row) throw new NotFound(`Policy ${id} not found`);
    if (row.core_key) throw new Conflict(`"${row.name}" is a core policy and cannot be deleted; disable it instead (PATCH {"status":"DISABLED"})`);
    await tx('policies').where({ id }).delete();
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'policy', resourceId: id, before: toPolicy(row) });
  });
}

async function checkPolicyName(tx: Tx, caller: Caller, name: string, exceptId?: string): Promise<void> {
  const q = tx<PolicyRow>('policies').where('ad_account_id', caller.adAccountId).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) q.whereNot('id', exceptId);
  if (await q.first()) {
    throw new Duplicate(`A policy named "${name}" already exists`, {
      errors: [{ pointer: '/name', rule: 'unique', message: 'is already the name of a policy of this ad account (case-insensitive)' }],
    });
  }
}

/** Shape (400), depth and known labels/actions (422) of a policy's references, with pointers. */
async function checkPolicyReferences(
  tx: Tx,
  caller: Caller,
  actions: string[],
  deny: unknown,
  which: { actions: boolean; deny: boolean } = { actions: true, deny: true },
): Promise<void> {
  const errors: FieldError[] = [];
  if (which.deny) {
    const leaves: { label: string; pointer: string }[] = [];
    const shape: FieldError[] = [];
    walkDeny(deny, '/deny', 1, leaves, shape);
    throwAll(shape.filter((e) => e.rule !== 'maxDepth'), 400);
    errors.push(...shape);
    errors.push(...(await unknownLabels(tx, caller, leaves.map((l) => l.label), (i) => leaves[i].pointer)));
  }
  if (which.actions) errors.push(...(await unknownMarketingActions(tx, caller, actions, (i) => `/marketingActions/${i}`)));
  throwAll(errors);
}

/** Checks a deny expression's shape (it may come from the CLI) and collects its leaves with pointers. */
function walkDeny(expr: unknown, pointer: string, depth: number, leaves: { label: string; pointer: string }[], errors: FieldError[]): void {
  if (!expr || typeof expr !== 'object' || Array.isArray(expr)) {
    errors.push({ pointer, rule: 'type', message: 'must be { "label": … } or { "operator": "AND"|"OR", "operands": [ … ] }' });
    return;
  }
  const node = expr as Record<string, unknown>;
  if ('label' in node && !('operator' in node) && !('operands' in node)) {
    if (typeof node.label !== 'string' || node.label === '') errors.push({ pointer: `${pointer}/label`, rule: 'type', message: 'must be a label code' });
    else leaves.push({ label: node.label, pointer: `${pointer}/label` });
    return;
  }
  if (node.operator !== 'AND' && node.operator !== 'OR') {
    errors.push({ pointer: `${pointer}/operator`, rule: 'enum', message: 'must be "AND" or "OR"' });
  }
  if (!Array.isArray(node.operands) || node.operands.length === 0) {
    errors.push({ pointer: `${pointer}/operands`, rule: 'minItems', message: 'must be a non-empty array of deny expressions' });
    return;
  }
  if (depth >= MAX_DENY_DEPTH) {
    errors.push({ pointer, rule: 'maxDepth', message: `deny expressions may nest at most ${MAX_DENY_DEPTH} levels; simplify the expression` });
    return;
  }
  node.operands.forEach((op, i) => walkDeny(op, `${pointer}/operands/${i}`, depth + 1, leaves, errors));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function sameDeny(a: DenyExpression, b: DenyExpression): boolean {
  try {
    return JSON.stringify(canonicalDeny(a)) === JSON.stringify(canonicalDeny(b));
  } catch {
    return false;
  }
}
