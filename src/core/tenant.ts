/**
 * The two lookups every account-scoped module makes: a row of the caller's ad account (another
 * account's row is simply not found), and a name not yet used in the account (case-insensitive).
 */
import type { Queryable } from './db';
import { Duplicate, NotFound } from './errors';
import type { Caller } from './types';

export async function findOwned<T extends object>(q: Queryable, table: string, caller: Caller, id: string, what: string, forUpdate = false): Promise<T> {
  const query = q(table).where({ id, ad_account_id: caller.adAccountId });
  if (forUpdate) query.forUpdate();
  const row = await query.first();
  if (!row) throw new NotFound(`${what} ${id} not found`);
  return row as T;
}

export async function assertNameFree(q: Queryable, table: string, caller: Caller, name: string, what: string): Promise<void> {
  const clash = await q(table).where({ ad_account_id: caller.adAccountId }).whereRaw('lower(name) = lower(?)', [name]).first();
  if (clash) throw new Duplicate(`A ${what} named "${name}" already exists`, { errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }] });
}
