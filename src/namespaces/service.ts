/**
 * Identity namespaces: the kind of an identifier (Email, Phone (E.164), GAID, a vendor's Partner ID…).
 *
 * Adobe's rules, kept here: the identity symbol (`code`) and the type never change; names and codes
 * are unique per ad account (case-insensitive); namespaces are never deleted, because identities,
 * identity descriptors and ingested data refer to them by code. Every new ad account gets the
 * standard namespaces (`seedStandard`), which are read-only.
 */
import type { AuditService } from '../audit/service';
import type { Db, Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, NotFound, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { identityNormalizer, isStitchable } from './identity';
import {
  NAMESPACE_TYPES,
  type Namespace,
  type NamespaceCreate,
  type NamespaceListQuery,
  type NamespaceType,
  type NamespaceUpdate,
  type NormalizedValue,
  type NormalizeReport,
} from './types';

export { NAMESPACE_TYPES } from './types';
export type { Namespace, NamespaceCreate, NamespaceListQuery, NamespaceType, NamespaceUpdate, NormalizedValue, NormalizeReport } from './types';

/** Identity symbol: letters, digits, `_`, `.`, `-`; 1–64 characters (same as schemas/namespace-create.json). */
export const NAMESPACE_CODE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
export const NAMESPACE_NAME_MAX = 200;
export const NAMESPACE_DESCRIPTION_MAX = 2000;
export const NORMALIZE_MAX_VALUES = 1000;

interface StandardNamespace {
  name: string;
  code: string;
  type: NamespaceType;
  description: string;
}

/**
 * Shipped in every ad account. Codes are Adobe's identity symbols where Adobe has one.
 *
 * AppUserId is `cross_device`: a Kakao app user id identifies a PERSON (the user logged in to the
 * advertiser's app with Kakao) whichever phone, tablet or PC they use; that is exactly Adobe's
 * Cross-Device ID ("login ID, CRM ID"). It is not `device` (it is not tied to hardware, unlike
 * ADID/IDFA), not `cookie`, not `non_people` (it is a person), and not `partner_id` (it is the
 * advertiser's first-party id and must be able to stitch with Phone/Email in the identity graph).
 */
export const STANDARD_NAMESPACES: readonly StandardNamespace[] = [
  { name: 'Email', code: 'Email', type: 'email', description: 'Email address, trimmed and lowercased' },
  { name: 'Email (SHA-256)', code: 'Email_LC_SHA256', type: 'email', description: 'SHA-256 hex digest of the trimmed, lowercased email address' },
  { name: 'Phone', code: 'Phone', type: 'phone', description: 'Phone number; stored in E.164 (default country Korea: 010-1234-5678 → +821012345678)' },
  { name: 'Phone (E.164)', code: 'Phone_E.164', type: 'phone', description: 'Phone number in E.164 form, e.g. +821012345678' },
  { name: 'Phone (SHA-256 E.164)', code: 'Phone_SHA256_E.164', type: 'phone', description: 'SHA-256 hex digest of the E.164 phone number' },
  { name: 'GAID', code: 'GAID', type: 'device', description: 'Google Advertising ID (Android ADID), lowercase UUID, never hashed' },
  { name: 'IDFA', code: 'IDFA', type: 'device', description: 'Apple Identifier for Advertisers, lowercase UUID, never hashed' },
  { name: 'App user ID', code: 'AppUserId', type: 'cross_device', description: 'Kakao app user id: numeric id of a user of the advertiser\'s app linked to a Kakao talk channel' },
];

interface NamespaceRow {
  id: string;
  ad_account_id: string;
  name: string;
  code: string;
  type: NamespaceType;
  description: string;
  standard: boolean;
  created_at: Date;
  updated_at: Date;
}

const toNamespace = (r: NamespaceRow): Namespace => ({
  id: r.id,
  name: r.name,
  code: r.code,
  type: r.type,
  description: r.description,
  standard: r.standard,
  stitchable: isStitchable(r.type),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const UNIQUE_INDEX_FIELD: Record<string, 'code' | 'name'> = {
  namespaces_account_code: 'code',
  namespaces_account_name: 'name',
};

export class NamespaceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /** Inside the transaction that creates an ad account. Idempotent (existing codes/names are kept). */
  async seedStandard(tx: Tx, adAccountId: string): Promise<void> {
    const now = new Date();
    for (const ns of STANDARD_NAMESPACES) {
      await tx.raw(
        `insert into namespaces (id, ad_account_id, name, code, type, description, standard, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, true, ?, ?) on conflict do nothing`,
        [newId('ns'), adAccountId, ns.name, ns.code, ns.type, ns.description, now, now],
      );
    }
  }

  /** By id (`ns_…`) or by code (case-insensitive). Other accounts' namespaces answer 404. */
  async get(caller: Caller, idOrCode: string): Promise<Namespace> {
    return toNamespace(await this.findRow(caller, idOrCode));
  }

  /** Standard namespaces first, then by name. */
  async list(caller: Caller, query: NamespaceListQuery = {}): Promise<Namespace[]> {
    if (query.type !== undefined && !NAMESPACE_TYPES.includes(query.type)) {
      throw ruleError('/query/type', 'enum', `type must be one of ${NAMESPACE_TYPES.join(', ')}`, 400);
    }
    const q = this.db<NamespaceRow>('namespaces').where('ad_account_id', caller.adAccountId);
    if (query.type) q.where('type', query.type);
    if (query.standard !== undefined) q.where('standard', query.standard);
    const rows = await q.orderBy('standard', 'desc').orderByRaw('lower(name)').orderBy('id');
    return rows.map(toNamespace);
  }

  async create(caller: Caller, input: NamespaceCreate): Promise<Namespace> {
    const name = checkName(input.name, '/name');
    const code = checkCode(input.code);
    const type = checkType(input.type);
    const description = checkDescription(input.description ?? '');
    const clashes = await this.clashes(caller, { name, code });
    if (clashes.length) throw duplicateOf(clashes, { name, code });
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx<NamespaceRow>('namespaces')
          .insert({ id: newId('ns'), ad_account_id: caller.adAccountId, name, code, type, description, standard: false })
          .returning('*');
        const created = toNamespace(row);
        await this.audit.record(tx, caller, { action: 'create', resourceType: 'namespace', resourceId: created.id, after: created });
        return created;
      });
    } catch (err) {
      throw raceToDuplicate(err, { name, code });
    }
  }

  /** Name and description only; code and type are immutable; standard namespaces are read-only. */
  async update(caller: Caller, idOrCode: string, input: NamespaceUpdate): Promise<Namespace> {
    const current = await this.get(caller, idOrCode);
    const errors: FieldError[] = [];
    for (const field of ['code', 'type'] as const) {
      if (input[field] !== undefined && input[field] !== current[field]) {
        errors.push({
          pointer: `/${field}`,
          rule: 'immutable',
          message: `The ${field === 'code' ? 'identity symbol (code)' : 'identity type'} of a namespace cannot change; create a new namespace instead`,
        });
      }
    }
    if (errors.length) throw new UnprocessableRequest(errors.map((e) => e.message).join('; '), { errors });
    const name = input.name === undefined ? current.name : checkName(input.name, '/name');
    const description = input.description === undefined ? current.description : checkDescription(input.description);
    if (name === current.name && description === current.description) return current; // nothing to change
    if (current.standard) {
      const field = name !== current.name ? 'name' : 'description';
      throw ruleError(`/${field}`, 'standard', `${current.name} is a standard namespace and cannot be edited; create a custom namespace if you need another one`);
    }
    if (name.toLowerCase() !== current.name.toLowerCase()) {
      const clashes = await this.clashes(caller, { name }, current.id);
      if (clashes.length) throw duplicateOf(clashes, { name, code: current.code });
    }
    try {
      return await this.db.transaction(async (tx) => {
        const before = await tx<NamespaceRow>('namespaces').where({ id: current.id, ad_account_id: caller.adAccountId }).forUpdate().first();
        if (!before) throw new NotFound(`Namespace ${idOrCode} not found`);
        const [row] = await tx<NamespaceRow>('namespaces')
          .where({ id: current.id })
          .update({ name, description, updated_at: new Date() })
          .returning('*');
        const after = toNamespace(row);
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'namespace', resourceId: after.id, before: toNamespace(before), after });
        return after;
      });
    } catch (err) {
      throw raceToDuplicate(err, { name, code: current.code });
    }
  }

  /**
   * Always refused, after the usual 404 for unknown/foreign namespaces. Adobe does not let custom
   * (or standard) namespaces be deleted: identities, identity descriptors and ingested data point at
   * the code, so removing it would orphan them. The request is well-formed and the namespace exists,
   * but it conflicts with that permanent state, hence 409 Conflict (rule `undeletable`).
   */
  async remove(caller: Caller, idOrCode: string): Promise<never> {
    const ns = await this.get(caller, idOrCode);
    const message = `Identity namespaces cannot be deleted (${ns.code}): identities and schemas refer to them by code. Rename it or change its description instead`;
    throw new Conflict(message, { errors: [{ pointer: '', rule: 'undeletable', message }] });
  }

  /** Applies the namespace's value rule to each value, as ingestion will; duplicates are flagged. */
  async normalize(caller: Caller, idOrCode: string, values: string[]): Promise<NormalizeReport> {
    if (!Array.isArray(values)) throw ruleError('/values', 'type', 'values must be an array of strings', 400);
    if (values.length > NORMALIZE_MAX_VALUES) {
      throw ruleError('/values', 'maxItems', `Send at most ${NORMALIZE_MAX_VALUES} values per request`, 400);
    }
    values.forEach((v, i) => {
      if (typeof v !== 'string') throw ruleError(`/values/${i}`, 'type', 'must be a string', 400);
    });
    const ns = await this.get(caller, idOrCode);
    const normalize = identityNormalizer(ns);
    const seen = new Set<string>();
    const counts = { received: values.length, valid: 0, invalid: 0, duplicate: 0 };
    const items = values.map((input): NormalizedValue => {
      const r = normalize(input);
      if (!r.ok) {
        counts.invalid++;
        return { input, error: { rule: r.rule, message: r.message } };
      }
      counts.valid++;
      if (seen.has(r.value)) {
        counts.duplicate++;
        return { input, value: r.value, duplicate: true };
      }
      seen.add(r.value);
      return { input, value: r.value };
    });
    return { namespace: { id: ns.id, code: ns.code, type: ns.type }, counts, items };
  }

  // ---- helpers ----------------------------------------------------------------------------

  private async findRow(caller: Caller, idOrCode: string): Promise<NamespaceRow> {
    const key = typeof idOrCode === 'string' ? idOrCode.trim() : '';
    const row = key
      ? await this.db<NamespaceRow>('namespaces')
          .where('ad_account_id', caller.adAccountId)
          .andWhere((w) => w.where('id', key).orWhereRaw('lower(code) = lower(?)', [key]))
          // An id match wins over a code that happens to look like an id.
          .orderByRaw('(id = ?) desc', [key])
          .first()
      : undefined;
    if (!row) throw new NotFound(`Namespace ${idOrCode} not found; list them with GET /v1/namespaces`);
    return row;
  }

  /** Which of name/code already exist in the account (case-insensitive), ignoring `exceptId`. */
  private async clashes(caller: Caller, probe: { name?: string; code?: string }, exceptId?: string): Promise<('name' | 'code')[]> {
    const q = this.db<NamespaceRow>('namespaces')
      .where('ad_account_id', caller.adAccountId)
      .andWhere((w) => {
        if (probe.code !== undefined) w.orWhereRaw('lower(code) = lower(?)', [probe.code]);
        if (probe.name !== undefined) w.orWhereRaw('lower(name) = lower(?)', [probe.name]);
      });
    if (exceptId) q.whereNot('id', exceptId);
    const rows = await q.select('name', 'code');
    const out: ('name' | 'code')[] = [];
    if (probe.code !== undefined && rows.some((r) => r.code.toLowerCase() === probe.code!.toLowerCase())) out.push('code');
    if (probe.name !== undefined && rows.some((r) => r.name.toLowerCase() === probe.name!.toLowerCase())) out.push('name');
    return out;
  }
}

// ---- argument checks (shared by HTTP and CLI; the JSON Schemas say the same) ----------------

function checkName(value: unknown, pointer: string): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!name) throw ruleError(pointer, 'required', 'Give the namespace a display name', 400);
  if (name.length > NAMESPACE_NAME_MAX) throw ruleError(pointer, 'maxLength', `A name has at most ${NAMESPACE_NAME_MAX} characters`, 400, { limit: NAMESPACE_NAME_MAX });
  return name;
}

function checkCode(value: unknown): string {
  if (typeof value !== 'string' || !NAMESPACE_CODE_RE.test(value)) {
    throw ruleError('/code', 'pattern', 'The identity symbol (code) is 1–64 letters, digits, "_", "." or "-", e.g. Partner_Acme', 400);
  }
  return value;
}

function checkType(value: unknown): NamespaceType {
  if (!NAMESPACE_TYPES.includes(value as NamespaceType)) {
    throw ruleError('/type', 'enum', `type must be one of ${NAMESPACE_TYPES.join(', ')}`, 400);
  }
  return value as NamespaceType;
}

function checkDescription(value: unknown): string {
  if (typeof value !== 'string') throw ruleError('/description', 'type', 'description must be a string', 400);
  const d = value.trim();
  if (d.length > NAMESPACE_DESCRIPTION_MAX) {
    throw ruleError('/description', 'maxLength', `A description has at most ${NAMESPACE_DESCRIPTION_MAX} characters`, 400, { limit: NAMESPACE_DESCRIPTION_MAX });
  }
  return d;
}

function duplicateOf(fields: ('name' | 'code')[], v: { name: string; code: string }) {
  const errors: FieldError[] = fields.map((f) => ({
    pointer: `/${f}`,
    rule: 'unique',
    message:
      f === 'code'
        ? `A namespace with code "${v.code}" already exists in this ad account (codes are case-insensitive); choose another code`
        : `A namespace named "${v.name}" already exists in this ad account (names are case-insensitive); choose another name`,
  }));
  return new Duplicate(errors.map((e) => e.message).join('; '), { errors });
}

/** A concurrent create/rename slipped past the pre-check: the unique index names the field. */
function raceToDuplicate(err: unknown, v: { name: string; code: string }): unknown {
  const e = err as { code?: string; constraint?: string };
  const field = e?.code === '23505' && e.constraint ? UNIQUE_INDEX_FIELD[e.constraint] : undefined;
  return field ? duplicateOf([field], v) : err;
}
