/** Enabling a schema for profile: one-way, and only with exactly one primary identity. */
import { ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import { findRow, loadRow, toSummary } from './rows';
import type { Loaded, SchemaContext, SchemaRow } from './types';

/**
 * One-way: sets the immutable `union` tag. Needs exactly one primary identity. Enabling an enabled
 * schema changes nothing; `enabled: false` is refused (rule one-way). The service answers with the
 * schema as it is afterwards.
 */
export async function enableProfile(ctx: SchemaContext, caller: Caller, schemaId: string, input: { enabled?: boolean } = {}): Promise<void> {
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw ruleError('/enabled', 'type', 'enabled must be a boolean', 400);
  await ctx.db.transaction(async (tx) => {
    const row = await findRow(tx, caller, schemaId, true);
    if (input.enabled === false) {
      throw ruleError('/enabled', 'one-way', row.profile_enabled ? oneWayMessage(row) : `Schema "${row.title}" is not enabled for profile; there is nothing to disable`);
    }
    if (row.profile_enabled) return;
    const loaded = await loadRow(tx, caller, row);
    assertEnableable(loaded);
    const now = new Date();
    const [updated] = await tx<SchemaRow>('schemas')
      .where({ id: row.id })
      .update({ profile_enabled: true, profile_enabled_at: now, version: row.version + 1, updated_at: now })
      .returning('*');
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
  });
}

export function assertEnableable(loaded: Loaded): void {
  const primaries = loaded.descriptors.filter((d) => d.is_primary);
  if (primaries.length !== 1) {
    const hint = loaded.cls.kind === 'prospect' ? ' (for a prospect schema: partnerID with a Partner ID namespace)' : '';
    throw ruleError(
      '',
      'primary-identity',
      `Schema "${loaded.row.title}" needs exactly one primary identity to be enabled for profile and has ${primaries.length}; ` +
        `add one with POST /v1/schemas/${loaded.row.id}/identities and primary: true${hint}`,
    );
  }
}

export function oneWayMessage(row: SchemaRow): string {
  return `Enabling a schema for profile is one-way: schema "${row.title}" stays enabled. Create a new schema if you need one that is not`;
}
