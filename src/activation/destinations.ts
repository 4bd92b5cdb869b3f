/**
 * Destinations: where activations send files (S3, LiveRamp-style SFTP), their credentials (sealed
 * at rest), the marketing actions their use implies and the identities they accept.
 */
import type { DestinationWriter, UploadJournal } from '../../connectors/destination-types';
import { createS3Destination } from '../../connectors/s3-destination';
import { createSftpDestination } from '../../connectors/sftp-destination';
import { ConnectorError, type ConnectionTestResult } from '../../connectors/types';
import type { Queryable } from '../core/db';
import { Conflict, Forbidden, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import { checkRemotePath } from '../core/remote-path';
import { requireCredentialsOnRetarget } from '../core/secrets';
import { assertNameFree, findOwned } from '../core/tenant';
import type { Caller } from '../core/types';
import { requestSchemas } from '../core/validation';
import { roleMay } from '../http/access';
import { NAMESPACE_TYPES, type NamespaceType } from '../namespaces/service';
import type { ActivationContext, Destination, DestinationInput, DestinationKind, DestinationRow } from './types';

/** Marketing actions each destination kind implies by default (governance may add more). */
export const DEFAULT_ACTIONS: Record<DestinationKind, string[]> = {
  s3: ['exportToThirdParty'],
  liveramp: ['exportToThirdParty', 'crossSiteTargeting'],
};

/**
 * The identity namespace types each destination kind takes (Adobe: "activate to destinations that
 * accept the identities in the prospect list"). S3 files carry any identity, partner ids included.
 * LiveRamp onboards people — PII-based (email, phone), known (mobile ad ids, cookies) and custom ids
 * (partner and app user ids) — one identity namespace per activation (the file's one identifier
 * column); a non-people id (a store, a product) resolves to no one there.
 */
export const ACCEPTED_IDENTITIES: Record<DestinationKind, readonly NamespaceType[]> = {
  s3: NAMESPACE_TYPES,
  liveramp: NAMESPACE_TYPES.filter((t) => t !== 'non_people'),
};

const S3_SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'];
const SFTP_SECRETS = ['password', 'privateKey', 'passphrase'];

export function destinationRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<DestinationRow> {
  return findOwned<DestinationRow>(q, 'destinations', caller, id, 'Destination', forUpdate);
}

/** The destination's writer (tests may inject one); `journal` hears of S3 multipart uploads. */
export function openWriter(ctx: ActivationContext, row: DestinationRow, journal?: UploadJournal): DestinationWriter {
  const credentials = ctx.secrets().open<Record<string, unknown>>(row.secret);
  if (ctx.options.writerFor) return ctx.options.writerFor(row.kind, row.settings, credentials);
  const s = row.settings as Record<string, never>;
  if (row.kind === 's3') {
    return createS3Destination(
      { region: s.region, endpoint: s.endpoint, bucket: s.bucket, prefix: s.prefix, accessKeyId: credentials.accessKeyId as string, secretAccessKey: credentials.secretAccessKey as string, sessionToken: credentials.sessionToken as string | undefined },
      { journal },
    );
  }
  return createSftpDestination({ host: s.host, port: s.port, username: s.username, hostKeyFingerprint: s.hostKeyFingerprint, folder: s.folder ?? 'uploads', ...(credentials as Record<string, string>) });
}

/** Refuses a destination change that would make an activation using it violate policy (activations.ts). */
export type DestinationChangeCheck = (caller: Caller, candidate: DestinationRow) => Promise<void>;

export class Destinations {
  constructor(
    private readonly ctx: ActivationContext,
    private readonly checkChange: DestinationChangeCheck,
  ) {}

  async create(caller: Caller, input: DestinationInput): Promise<Destination> {
    checkMayGovern(caller, input.marketingActions);
    checkDestination(input.kind, input.settings, input.credentials);
    checkDestinationPaths(input.kind, input.settings);
    const actions = input.marketingActions ?? DEFAULT_ACTIONS[input.kind];
    await this.checkActions(caller, actions);
    const id = newId('dest');
    return this.ctx.db.transaction(async (tx) => {
      await assertNameFree(tx, 'destinations', caller, input.name, 'destination');
      const [row] = await tx('destinations')
        .insert({
          id,
          ad_account_id: caller.adAccountId,
          name: input.name,
          kind: input.kind,
          settings: JSON.stringify(input.settings),
          secret: this.ctx.secrets().seal(input.credentials),
          marketing_actions: [...new Set([...DEFAULT_ACTIONS[input.kind], ...actions])],
          created_by: caller.keyId,
        })
        .returning('*');
      const dto = this.toDestination(row);
      await this.ctx.audit.record(tx, caller, { action: 'create', resourceType: 'destination', resourceId: id, after: dto });
      return dto;
    });
  }

  async list(caller: Caller): Promise<Destination[]> {
    return (await this.ctx.db<DestinationRow>('destinations').where({ ad_account_id: caller.adAccountId }).orderBy('id')).map((r) => this.toDestination(r));
  }

  async get(caller: Caller, id: string): Promise<Destination> {
    return this.toDestination(await destinationRow(this.ctx.db, caller, id));
  }

  /** Settings and marketing actions changes are re-checked against every activation that uses the destination. */
  async update(caller: Caller, id: string, patch: Partial<Omit<DestinationInput, 'kind'>>): Promise<Destination> {
    const { db, secrets } = this.ctx;
    checkMayGovern(caller, patch.marketingActions);
    const row = await destinationRow(db, caller, id);
    if (patch.marketingActions) await this.checkActions(caller, patch.marketingActions);
    const settings = { ...row.settings, ...(patch.settings ?? {}) };
    requestSchemas().check(row.kind === 's3' ? 'destination-s3-settings' : 'destination-liveramp-settings', settings, 'body', '/settings');
    // Only what this patch sets: a stored path is the connector's to refuse.
    checkDestinationPaths(row.kind, patch.settings ?? {});
    // Stored credentials never follow the destination to another server: a new target needs them again.
    requireCredentialsOnRetarget(row.settings, settings, patch.credentials, ['host', 'port', 'username', 'endpoint', 'bucket', 'region']);
    const credentials = patch.credentials ? { ...secrets().open<Record<string, unknown>>(row.secret), ...patch.credentials } : undefined;
    checkDestination(row.kind, settings, credentials ?? secrets().open(row.secret));
    const actions = patch.marketingActions ? [...new Set([...DEFAULT_ACTIONS[row.kind], ...patch.marketingActions])] : row.marketing_actions;
    const candidate: DestinationRow = { ...row, settings, marketing_actions: actions, name: patch.name ?? row.name };
    await this.checkChange(caller, candidate);
    return db.transaction(async (tx) => {
      if (patch.name !== undefined && patch.name.toLowerCase() !== row.name.toLowerCase()) await assertNameFree(tx, 'destinations', caller, patch.name, 'destination');
      const [updated] = await tx('destinations')
        .where({ id })
        .update({
          name: candidate.name,
          settings: JSON.stringify(settings),
          marketing_actions: actions,
          ...(credentials ? { secret: secrets().seal(credentials) } : {}),
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const after = this.toDestination(updated);
      await this.ctx.audit.record(tx, caller, { action: 'update', resourceType: 'destination', resourceId: id, before: this.toDestination(row), after });
      return after;
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const row = await destinationRow(tx, caller, id, true);
      const used = await tx('activations').where({ destination_id: id }).select('id');
      if (used.length) throw new Conflict(`Destination ${id} is used by activations ${used.map((u: { id: string }) => u.id).join(', ')}; delete them first`);
      await tx('destinations').where({ id }).delete();
      await this.ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'destination', resourceId: id, before: this.toDestination(row) });
    });
  }

  async test(caller: Caller, id: string): Promise<ConnectionTestResult> {
    const row = await destinationRow(this.ctx.db, caller, id);
    let writer: DestinationWriter;
    try {
      writer = openWriter(this.ctx, row);
    } catch (err) {
      // A writer refuses settings stored before they were checked (e.g. a prefix with "..").
      if (err instanceof ConnectorError) return { ok: false, reason: err.reason, message: err.message };
      throw err;
    }
    try {
      return await writer.test();
    } finally {
      await writer.close().catch(() => undefined);
    }
  }

  private async checkActions(caller: Caller, actions: string[]): Promise<void> {
    const known = new Set((await this.ctx.governance.listMarketingActions(caller)).map((a) => a.name));
    actions.forEach((a, i) => {
      if (!known.has(a)) throw ruleError(`/marketingActions/${i}`, 'exists', `Marketing action ${a} does not exist`);
    });
  }

  private toDestination(r: DestinationRow): Destination {
    const credentialsSet = this.ctx.secrets().namesIn(r.secret);
    return { id: r.id, name: r.name, kind: r.kind, settings: r.settings, credentialsSet, marketingActions: r.marketing_actions, acceptsIdentities: ACCEPTED_IDENTITIES[r.kind], createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
  }
}

/** Marketing actions say what a destination's data is used for: governance decides them (README "Roles"). */
function checkMayGovern(caller: Caller, marketingActions: string[] | undefined): void {
  if (marketingActions === undefined || roleMay(caller.role, 'destinations.govern')) return;
  const message = `Only governance or admin may set a destination's marketing actions (destinations.govern); role ${caller.role} may send the change without marketingActions and ask governance for them`;
  throw new Forbidden(message, { errors: [{ pointer: '/marketingActions', rule: 'destinations.govern', message }] });
}

/** Prefix, folder and file-name parts go to the partner's store: no dot segments or control characters. */
function checkDestinationPaths(kind: DestinationKind, settings: Record<string, unknown>): void {
  if (kind === 'liveramp') return checkRemotePath(settings.folder, '/settings/folder', 'sftp-folder');
  checkRemotePath(settings.prefix, '/settings/prefix', 's3-prefix');
  checkRemotePath(settings.fileNameTemplate, '/settings/fileNameTemplate', 'file-name');
  checkRemotePath(settings.customText, '/settings/customText', 'file-name');
}

function checkDestination(kind: DestinationKind, settings: Record<string, unknown>, credentials: Record<string, unknown>): void {
  const allowed = kind === 's3' ? S3_SECRETS : SFTP_SECRETS;
  const unknown = Object.keys(credentials).find((k) => !allowed.includes(k));
  if (unknown) throw ruleError(`/credentials/${unknown}`, 'known-credential', `${unknown} is not a ${kind} credential; use ${allowed.join(', ')}`);
  if (kind === 's3' && (!credentials.accessKeyId || !credentials.secretAccessKey)) throw ruleError('/credentials', 'access-key', 'An S3 destination needs accessKeyId and secretAccessKey');
  if (kind === 'liveramp') {
    if (!credentials.password && !credentials.privateKey) throw ruleError('/credentials', 'password-or-key', 'A LiveRamp SFTP destination needs a password or an OpenSSH private key');
    for (const key of ['org', 'instanceId']) if (!settings[key]) throw ruleError(`/settings/${key}`, 'required', `LiveRamp file names need settings.${key} (<ORG>_<DESTINATION>_<INSTANCE_ID>_<YYYYMMDD_HHMMSS>.csv)`);
  }
}
