/**
 * Glossary — the words this code base uses, in the domain's own terms.
 *
 * - organisation: the company using the module; owns ad accounts and (later) trackers.
 * - ad account (광고계정): the tenant. Every resource belongs to exactly one ad account, and a
 *   caller only ever sees its own account's resources (others answer 404).
 * - API key: a bearer secret bound to an ad account (or, for admins, to an organisation with a
 *   home account) and to one role. Stored as a SHA-256 hash; shown once at creation.
 * - role: admin · data_engineer · governance · marketer. `src/http/access.ts` holds the one table
 *   of which role may do what.
 * - identity namespace: the kind of an identifier (Email, Phone (E.164), GAID, a partner's id…).
 *   Its type decides how values are normalised and whether it may stitch profiles.
 * - Partner ID: the namespace type for identifiers handed out by a data vendor; the only type a
 *   prospect profile may use. It never joins an identity graph.
 * - class: the base of an XDM-like schema. Individual Prospect Profile (third-party prospects) or
 *   Individual Profile (first-party people).
 * - field group: a reusable set of fields that extends one or more classes.
 * - schema: one class + field groups, stored as JSON Schema 2020-12 with `meta:` keywords.
 * - identity descriptor: marks a schema field as an identity of a namespace; one may be primary.
 * - enable for profile: one-way switch on a schema; afterwards only additive changes are allowed.
 * - data usage label: a code such as C2, I1, S1 or THIRD_PARTY put on schema fields or datasets.
 * - marketing action: what data is used for (e.g. exportToThirdParty, emailTargeting).
 * - policy: denies some marketing actions when a label expression (AND/OR tree) matches.
 * - violation: an enabled policy whose action is requested and whose deny expression matched.
 * - audit entry: who changed what and when, with before/after images.
 */

export const ROLES = ['admin', 'data_engineer', 'governance', 'marketer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the API key on every request (or built by the CLI). */
export interface Caller {
  /** API key id (`key_…`), or `cli` for local administration. */
  keyId: string;
  role: Role;
  organizationId: string;
  /** The ad account every read and write is scoped to. */
  adAccountId: string;
  /** Org-wide admin keys may create ad accounts and act on any account of their organisation. */
  orgWide: boolean;
}

/**
 * The caller of work the service does on its own — a scheduled run, an evaluation, an expiration —
 * for one ad account. `on` names it in the audit log and in logs (`system:dataflow:df_…`).
 */
export function systemCaller(adAccountId: string, role: Role, on: string): Caller {
  return { keyId: `system:${on}`, role, organizationId: '', adAccountId, orgWide: false };
}

/** Cursor page returned by list endpoints. */
export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null when this is the last page. */
  nextCursor: string | null;
}
