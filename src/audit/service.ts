/**
 * Audit log: every create/update/delete of namespaces, schemas, labels, policies (and keys),
 * written in the same transaction as the change so the log never disagrees with the data.
 */
import type { Queryable } from '../core/db';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../core/pagination';
import type { Caller, Page } from '../core/types';

export type AuditAction = 'create' | 'update' | 'delete';

export interface AuditChange {
  action: AuditAction;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry extends AuditChange {
  id: string;
  actor: { keyId: string; role: string };
  at: string;
}

export interface AuditQuery {
  resourceType?: string;
  resourceId?: string;
  action?: AuditAction;
  actorKeyId?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

interface AuditRow {
  id: string;
  actor_key_id: string;
  actor_role: string;
  action: AuditAction;
  resource_type: string;
  resource_id: string;
  before: unknown;
  after: unknown;
  created_at: Date;
}

export class AuditService {
  constructor(private readonly db: Queryable) {}

  /** Call inside the transaction that makes the change. */
  async record(q: Queryable, caller: Caller, change: AuditChange): Promise<void> {
    await q('audit_log').insert({
      ad_account_id: caller.adAccountId,
      actor_key_id: caller.keyId,
      actor_role: caller.role,
      action: change.action,
      resource_type: change.resourceType,
      resource_id: change.resourceId,
      before: change.before === undefined ? null : JSON.stringify(change.before),
      after: change.after === undefined ? null : JSON.stringify(change.after),
    });
  }

  /** Newest first. */
  async list(caller: Caller, query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor);
    const q = this.db<AuditRow>('audit_log').where('ad_account_id', caller.adAccountId);
    if (query.resourceType) q.where('resource_type', query.resourceType);
    if (query.resourceId) q.where('resource_id', query.resourceId);
    if (query.action) q.where('action', query.action);
    if (query.actorKeyId) q.where('actor_key_id', query.actorKeyId);
    if (query.since) q.where('created_at', '>=', query.since);
    if (query.until) q.where('created_at', '<', query.until);
    if (cursor) q.where('id', '<', cursor);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1);
    const page = toPage(rows, limit, (r) => r.id);
    return { items: page.items.map(toEntry), nextCursor: page.nextCursor };
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: String(r.id),
    actor: { keyId: r.actor_key_id, role: r.actor_role },
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    before: r.before ?? undefined,
    after: r.after ?? undefined,
    at: r.created_at.toISOString(),
  };
}
