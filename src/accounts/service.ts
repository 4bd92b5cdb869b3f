/**
 * Organisations, ad accounts (the tenant) and API keys.
 *
 * Keys look like `cdp_<24 chars id>.<43 chars secret>`. Only SHA-256(secret) is stored: the secret is
 * 256 random bits, so a slow hash adds nothing. Org-wide admin keys act on their home account
 * unless the request names another account of the same organisation (X-Ad-Account-Id).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditService } from '../audit/service';
import { Db, inTransaction, Queryable, Tx } from '../core/db';
import { Forbidden, NotFound, Unauthorized } from '../core/errors';
import { newId } from '../core/ids';
import { ROLES, type Caller, type Role } from '../core/types';

/** Called inside the transaction that creates an ad account, to give it its standard resources. */
export type AccountSeeder = (tx: Tx, adAccountId: string) => Promise<void>;

export interface AdAccount {
  id: string;
  organizationId: string;
  name: string;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  adAccountId: string;
  orgWide: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface IssuedKey {
  key: ApiKey;
  /** The bearer token. Shown once; only its hash is kept. */
  token: string;
}

const TOKEN_RE = /^cdp_([0-9a-z]{24})\.([A-Za-z0-9_-]{43})$/;
const LAST_USED_RESOLUTION_MS = 60_000;

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

interface KeyRow {
  id: string;
  organization_id: string;
  ad_account_id: string;
  org_wide: boolean;
  role: Role;
  name: string;
  secret_hash: string;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

interface AccountRow {
  id: string;
  organization_id: string;
  name: string;
  created_at: Date;
}

const toAccount = (r: AccountRow): AdAccount => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  createdAt: r.created_at.toISOString(),
});

const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  role: r.role,
  adAccountId: r.ad_account_id,
  orgWide: r.org_wide,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly seeders: AccountSeeder[],
  ) {}

  // ---- administration (CLI, bootstrap, tests) -------------------------------------------------

  async createOrganization(q: Queryable, name: string): Promise<{ id: string; name: string }> {
    const id = newId('org');
    await q('organizations').insert({ id, name });
    return { id, name };
  }

  /** Creates the account with its standard namespaces and core policies. */
  async createAdAccount(q: Queryable, organizationId: string, name: string): Promise<AdAccount> {
    return inTransaction(q, async (tx) => {
      const org = await tx('organizations').where({ id: organizationId }).first();
      if (!org) throw new NotFound(`Organisation ${organizationId} does not exist`);
      const id = newId('acc');
      const [row] = await tx<AccountRow>('ad_accounts').insert({ id, organization_id: organizationId, name }).returning('*');
      for (const seed of this.seeders) await seed(tx, id);
      return toAccount(row);
    });
  }

  async issueKey(
    q: Queryable,
    input: { organizationId: string; adAccountId: string; role: Role; name: string; orgWide?: boolean; createdBy?: string },
  ): Promise<IssuedKey> {
    if (!ROLES.includes(input.role)) throw new Error(`unknown role ${input.role}`);
    const idPart = newId('x').slice(2);
    const secret = randomBytes(32).toString('base64url');
    const [row] = await q<KeyRow>('api_keys')
      .insert({
        id: `key_${idPart}`,
        organization_id: input.organizationId,
        ad_account_id: input.adAccountId,
        org_wide: input.orgWide ?? false,
        role: input.role,
        name: input.name,
        secret_hash: hashSecret(secret),
        created_by: input.createdBy ?? null,
      })
      .returning('*');
    return { key: toKey(row), token: `cdp_${idPart}.${secret}` };
  }

  /**
   * On an empty database: one organisation, one ad account and an org-wide admin key.
   * Returns null when any organisation exists. Safe against two processes starting at once.
   */
  async bootstrap(): Promise<{ organizationId: string; adAccount: AdAccount; issued: IssuedKey } | null> {
    return this.db.transaction(async (tx) => {
      await tx.raw('lock table organizations in exclusive mode');
      const any = await tx('organizations').first();
      if (any) return null;
      const org = await this.createOrganization(tx, 'Default organisation');
      const adAccount = await this.createAdAccount(tx, org.id, 'Default ad account');
      const issued = await this.issueKey(tx, {
        organizationId: org.id,
        adAccountId: adAccount.id,
        role: 'admin',
        name: 'bootstrap admin',
        orgWide: true,
      });
      return { organizationId: org.id, adAccount, issued };
    });
  }

  /**
   * Gives every existing account the standard resources a newer release added (standard namespaces,
   * core policies). Seeders are idempotent; runs at every start.
   */
  async reseedAll(onError: (accountId: string, err: unknown) => void): Promise<void> {
    for (const id of await this.accountIds()) {
      try {
        await this.db.transaction(async (tx) => {
          for (const seed of this.seeders) await seed(tx, id);
        });
      } catch (err) {
        onError(id, err);
      }
    }
  }

  /** Every ad account's id, for work done per account (reseeding, the universe linker's tick). */
  async accountIds(): Promise<string[]> {
    return (await this.db('ad_accounts').select('id')).map((r: { id: string }) => r.id);
  }

  async listAllAccounts(): Promise<(AdAccount & { organizationName: string })[]> {
    const rows = await this.db('ad_accounts as a')
      .join('organizations as o', 'o.id', 'a.organization_id')
      .select('a.*', 'o.name as organization_name')
      .orderBy('a.id');
    return rows.map((r: AccountRow & { organization_name: string }) => ({ ...toAccount(r), organizationName: r.organization_name }));
  }

  // ---- authentication ----------------------------------------------------------------------

  /** Resolves a bearer token (and an optional account switch) to the caller, or throws 401/404. */
  async authenticate(token: string | undefined, requestedAccountId?: string): Promise<Caller> {
    const match = token ? TOKEN_RE.exec(token) : null;
    if (!match) throw new Unauthorized('Send an API key as "Authorization: Bearer cdp_…"');
    const row = await this.db<KeyRow>('api_keys').where({ id: `key_${match[1]}` }).first();
    const expected = Buffer.from(row?.secret_hash ?? hashSecret('no key'), 'hex');
    const given = Buffer.from(hashSecret(match[2]), 'hex');
    if (!row || !timingSafeEqual(expected, given) || row.revoked_at) {
      throw new Unauthorized('The API key is unknown or revoked');
    }
    let adAccountId = row.ad_account_id;
    if (requestedAccountId && requestedAccountId !== row.ad_account_id) {
      const other = row.org_wide
        ? await this.db('ad_accounts').where({ id: requestedAccountId, organization_id: row.organization_id }).first()
        : undefined;
      if (!other) throw new NotFound(`Ad account ${requestedAccountId} not found`);
      adAccountId = other.id;
    }
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db('api_keys').where({ id: row.id }).update({ last_used_at: new Date() });
    }
    return { keyId: row.id, role: row.role, organizationId: row.organization_id, adAccountId, orgWide: row.org_wide };
  }

  // ---- caller-facing ----------------------------------------------------------------------

  async me(caller: Caller): Promise<{ caller: Caller; adAccount: AdAccount }> {
    return { caller, adAccount: await this.getAccount(caller, caller.adAccountId) };
  }

  /** Org-wide admins see every account of their organisation; everyone else their own. */
  async listAccounts(caller: Caller): Promise<AdAccount[]> {
    const orgWide = await this.isOrgWide(caller);
    const q = this.db<AccountRow>('ad_accounts').where('organization_id', caller.organizationId);
    if (!orgWide) q.where('id', caller.adAccountId);
    return (await q.orderBy('id')).map(toAccount);
  }

  async getAccount(caller: Caller, id: string): Promise<AdAccount> {
    const orgWide = id !== caller.adAccountId && (await this.isOrgWide(caller));
    if (id !== caller.adAccountId && !orgWide) throw new NotFound(`Ad account ${id} not found`);
    const row = await this.db<AccountRow>('ad_accounts').where({ id, organization_id: caller.organizationId }).first();
    if (!row) throw new NotFound(`Ad account ${id} not found`);
    return toAccount(row);
  }

  async createAccount(caller: Caller, input: { name: string }): Promise<AdAccount> {
    if (!(await this.isOrgWide(caller))) {
      throw new Forbidden('Only an organisation-wide admin key may create ad accounts');
    }
    return this.db.transaction(async (tx) => {
      const account = await this.createAdAccount(tx, caller.organizationId, input.name);
      await this.audit.record(tx, { ...caller, adAccountId: account.id }, {
        action: 'create',
        resourceType: 'ad_account',
        resourceId: account.id,
        after: account,
      });
      return account;
    });
  }

  async listKeys(caller: Caller, accountId: string): Promise<ApiKey[]> {
    await this.getAccount(caller, accountId);
    const rows = await this.db<KeyRow>('api_keys').where({ ad_account_id: accountId }).orderBy('id');
    return rows.map(toKey);
  }

  async createKey(caller: Caller, accountId: string, input: { role: Role; name: string }): Promise<IssuedKey> {
    const account = await this.getAccount(caller, accountId);
    return this.db.transaction(async (tx) => {
      const issued = await this.issueKey(tx, {
        organizationId: account.organizationId,
        adAccountId: account.id,
        role: input.role,
        name: input.name,
        createdBy: caller.keyId,
      });
      await this.audit.record(tx, { ...caller, adAccountId: account.id }, {
        action: 'create',
        resourceType: 'api_key',
        resourceId: issued.key.id,
        after: issued.key,
      });
      return issued;
    });
  }

  async revokeKey(caller: Caller, accountId: string, keyId: string): Promise<ApiKey> {
    await this.getAccount(caller, accountId);
    return this.db.transaction(async (tx) => {
      const before = await tx<KeyRow>('api_keys').where({ id: keyId, ad_account_id: accountId }).forUpdate().first();
      if (!before) throw new NotFound(`API key ${keyId} not found`);
      const [row] = await tx<KeyRow>('api_keys')
        .where({ id: keyId })
        .update({ revoked_at: before.revoked_at ?? new Date() })
        .returning('*');
      await this.audit.record(tx, { ...caller, adAccountId: accountId }, {
        action: 'update',
        resourceType: 'api_key',
        resourceId: keyId,
        before: toKey(before),
        after: toKey(row),
      });
      return toKey(row);
    });
  }

  private async isOrgWide(caller: Caller): Promise<boolean> {
    return caller.role === 'admin' && caller.orgWide;
  }
}
