/**
 * MAT postbacks as vendors send them, mapped to the three events a MAT link can pick (install,
 * open, purchase). Pure: no database.
 *
 * Formats (a request is one message or a JSON array of them; GET carries one in the query string):
 * - generic, every vendor: `{ event: install|open|purchase, adid, occurredAt? }`.
 * - AppsFlyer Push API (vendor `appsflyer`, recognised by `event_type`): `event_type` install /
 *   re-attribution (a reinstall) → install, re-engagement → open, in-app-event with `event_name`
 *   af_purchase → purchase, af_app_opened → open; ad id = `advertising_id` (GAID) or `idfa`;
 *   `event_time` "YYYY-MM-DD HH:mm:ss.SSS" in UTC.
 * - Adjust callbacks (vendor `adjust`, recognised by `activity_kind`): install / reinstall →
 *   install, session / reattribution → open, event named purchase or revenue → purchase; ad id =
 *   `gps_adid` or `idfa` (NOT `adid`, which is Adjust's own device id); `created_at` = unix seconds.
 * Anything else maps to no event and is ignored (202, not stored). A message of any format without an
 * ad id or with the all-zero id (the user limited ad tracking, a normal device) is ignored and
 * counted too: it identifies nobody. A malformed ad id or time refuses the whole request (422).
 *
 * Resends: vendors send a postback again when they did not get a 2xx in time. Each postback has a
 * key, stored once per link code and vendor within 48 hours (service.ts): `id:<eventId>` when the
 * message carries an `eventId` (any format: a vendor's postback URL template can map its own id to
 * it), otherwise `fp:<hash>` of what a resend repeats unchanged — the vendor's event name, the ad id
 * and the event time the vendor sent (AppsFlyer's to the millisecond, Adjust's to the second). A
 * message without an event time of its own has no key: nothing tells its resend from a new event.
 */
import { createHash } from 'node:crypto';
import { eventTimeProblem } from '../core/event-time';
import { FieldError, InvalidRequest, isCdpError, UnprocessableRequest } from '../core/errors';
import { requestSchemas } from '../core/validation';
import { isLimitedAdTrackingId, normalizeDeviceId } from '../namespaces/identity';

export const MAT_VENDORS = ['appsflyer', 'adjust', 'kochava', 'tune', 'igaworks', 'wisetracker'] as const;
export type MatVendor = (typeof MAT_VENDORS)[number];
export const MAT_VENDOR_NAMES: Record<MatVendor, string> = {
  appsflyer: 'AppsFlyer',
  adjust: 'Adjust',
  kochava: 'Kochava',
  tune: 'Tune',
  igaworks: 'IGAWorks adbrix',
  wisetracker: 'WiseTracker',
};
export const MAT_EVENTS = ['install', 'open', 'purchase'] as const;
export type MatEvent = (typeof MAT_EVENTS)[number];

export const MAX_POSTBACKS_PER_REQUEST = 1000;

export const EVENT_ID_MAX_LENGTH = 128;

export interface Postback {
  /** What a resend repeats unchanged (see above); null: no way to tell a resend. */
  key: string | null;
  event: MatEvent;
  /** The vendor's own name of what happened (af_purchase, session …). */
  vendorEvent: string;
  adid: string;
  occurredAt: Date;
}

export interface ParsedPostbacks {
  accepted: Postback[];
  ignored: { pointer: string; reason: string }[];
}

type One = { postback: Postback } | { ignored: string } | { errors: FieldError[] };

export function isVendor(v: string): v is MatVendor {
  return (MAT_VENDORS as readonly string[]).includes(v);
}

/** The postbacks of a POST body (one message or an array). Throws 422 naming every finding. */
export function postbacksOfBody(vendor: MatVendor, body: unknown, now: Date): ParsedPostbacks {
  const single = !Array.isArray(body);
  let list: unknown[];
  if (Array.isArray(body)) list = body;
  else if (body && typeof body === 'object' && Object.keys(body).length > 0) list = [body];
  else throw refused([{ pointer: '', rule: 'required', message: 'Send one postback or an array of them as JSON' }]);
  if (list.length === 0) throw refused([{ pointer: '', rule: 'minItems', message: 'must hold at least one postback' }]);
  if (list.length > MAX_POSTBACKS_PER_REQUEST) throw refused([{ pointer: '', rule: 'maxItems', message: `at most ${MAX_POSTBACKS_PER_REQUEST} postbacks per request` }]);
  return collect(
    list.map((m, i) => {
      const p = single ? '' : `/${i}`;
      return [p, one(vendor, m, p, now)];
    }),
  );
}

/** The postback of a GET callback's query string (Adjust, AppsFlyer GET, or generic). */
export function postbackOfQuery(vendor: MatVendor, query: Record<string, unknown>, now: Date): ParsedPostbacks {
  return collect([['/query', one(vendor, query, '/query', now)]]);
}

function collect(results: [string, One][]): ParsedPostbacks {
  const errors = results.flatMap(([, r]) => ('errors' in r ? r.errors : []));
  if (errors.length) throw refused(errors);
  const out: ParsedPostbacks = { accepted: [], ignored: [] };
  for (const [pointer, r] of results) {
    if ('postback' in r) out.accepted.push(r.postback);
    else if ('ignored' in r) out.ignored.push({ pointer, reason: r.ignored });
  }
  return out;
}

function refused(errors: FieldError[]): Error {
  const shown = errors.slice(0, 50);
  return new UnprocessableRequest(`${errors.length} problem(s) in the postbacks; nothing was stored. ${shown.slice(0, 5).map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`, {
    errors: shown,
  });
}

function one(vendor: MatVendor, raw: unknown, p: string, now: Date): One {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { errors: [{ pointer: p, rule: 'type', message: 'must be a postback object' }] };
  const m = raw as Record<string, unknown>;
  if (vendor === 'appsflyer' && 'event_type' in m) return appsFlyer(m, p, now);
  if (vendor === 'adjust' && 'activity_kind' in m) return adjust(m, p, now);
  // A query string may carry anything else (cache busters, vendor extras): the generic keys only.
  return generic(p === '/query' ? pick(m, ['eventId', 'event', 'adid', 'occurredAt']) : m, p, now);
}

function pick(m: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => m[k] !== undefined && m[k] !== '').map((k) => [k, m[k]]));
}

function generic(m: Record<string, unknown>, p: string, now: Date): One {
  try {
    requestSchemas().check('mat-postback', m, 'body', p);
  } catch (err) {
    if (isCdpError(err) && err instanceof InvalidRequest) return { errors: err.extras.errors ?? [] };
    throw err;
  }
  const errors: FieldError[] = [];
  const id = adIdOfValue(String(m.adid), `${p}/adid`, errors); // required: a blank one is an error
  const at = m.occurredAt === undefined ? now : new Date(String(m.occurredAt));
  checkFuture(at, now, `${p}/occurredAt`, errors);
  if (errors.length) return { errors };
  if (!id) return { ignored: 'adid is the all-zero id: the user limited ad tracking, so it identifies nobody' };
  const vendorEvent = String(m.event);
  return { postback: { key: keyOf(m, vendorEvent, id, m.occurredAt === undefined ? null : at), event: m.event as MatEvent, vendorEvent, adid: id, occurredAt: at } };
}

const NO_AD_ID = (fields: string) => `No advertising id (${fields}) or the all-zero one: the user limited ad tracking`;

function appsFlyer(m: Record<string, unknown>, p: string, now: Date): One {
  const type = str(m.event_type).toLowerCase();
  const name = str(m.event_name);
  let event: MatEvent | null = null;
  if (type === 'install' || type === 're-attribution' || type === 'reinstall') event = 'install';
  else if (type === 're-engagement') event = 'open';
  else if (type === 'in-app-event') {
    const n = name.toLowerCase();
    if (n === 'af_purchase') event = 'purchase';
    else if (n === 'af_app_opened' || n === 'af_opened_from_push_notification') event = 'open';
  }
  const vendorEvent = type === 'in-app-event' ? name || type : type;
  if (!event) return { ignored: `AppsFlyer ${vendorEvent || 'message'} maps to none of install, open, purchase` };
  const errors: FieldError[] = [];
  const id = adIdOf(m, ['advertising_id', 'idfa'], p, errors);
  checkEventId(m, p, errors);
  let at = now;
  let sent = false;
  if (m.event_time !== undefined && m.event_time !== null && m.event_time !== '') {
    // "2024-01-25 14:13:16.151" in UTC, as AppsFlyer sends it.
    const text = str(m.event_time).trim();
    at = new Date(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
    if (Number.isNaN(at.getTime())) errors.push({ pointer: `${p}/event_time`, rule: 'date_time', message: 'Expected "YYYY-MM-DD HH:mm:ss.SSS" in UTC' });
    else checkFuture(at, now, `${p}/event_time`, errors);
    sent = true;
  }
  if (errors.length) return { errors };
  if (!id) return { ignored: NO_AD_ID('advertising_id or idfa') };
  return { postback: { key: keyOf(m, vendorEvent, id, sent ? at : null), event, vendorEvent, adid: id, occurredAt: at } };
}

function adjust(m: Record<string, unknown>, p: string, now: Date): One {
  const kind = str(m.activity_kind).toLowerCase();
  const name = str(m.event_name);
  let event: MatEvent | null = null;
  if (kind === 'install' || kind === 'reinstall') event = 'install';
  else if (kind === 'session' || kind === 'reattribution') event = 'open';
  else if (kind === 'event' && ['purchase', 'revenue'].includes(name.trim().toLowerCase())) event = 'purchase';
  const vendorEvent = kind === 'event' ? name || kind : kind;
  if (!event) return { ignored: `Adjust ${vendorEvent || 'callback'} maps to none of install, open, purchase` };
  const errors: FieldError[] = [];
  const id = adIdOf(m, ['gps_adid', 'idfa'], p, errors);
  checkEventId(m, p, errors);
  let at = now;
  let sent = false;
  if (m.created_at !== undefined && m.created_at !== null && m.created_at !== '') {
    const s = str(m.created_at).trim();
    if (!/^\d{1,12}$/.test(s)) errors.push({ pointer: `${p}/created_at`, rule: 'unix_time', message: 'Expected a unix timestamp in seconds ({created_at})' });
    else {
      at = new Date(Number(s) * 1000);
      checkFuture(at, now, `${p}/created_at`, errors);
      sent = true;
    }
  }
  if (errors.length) return { errors };
  if (!id) return { ignored: NO_AD_ID('gps_adid or idfa') };
  return { postback: { key: keyOf(m, vendorEvent, id, sent ? at : null), event, vendorEvent, adid: id, occurredAt: at } };
}

/**
 * The ad id rule of every format: the normalised id; null for the all-zero id (a device with ad
 * tracking limited: the message is ignored and counted, not refused) or, pushing an error, a
 * malformed one.
 */
function adIdOfValue(raw: string, pointer: string, errors: FieldError[]): string | null {
  if (isLimitedAdTrackingId(raw)) return null;
  const r = normalizeDeviceId(raw);
  if (r.ok) return r.value;
  errors.push({ pointer, rule: r.rule, message: r.message });
  return null;
}

/** Vendor formats: the first of `fields` holding a usable ad id; blank and all-zero ones are none. */
function adIdOf(m: Record<string, unknown>, fields: string[], p: string, errors: FieldError[]): string | null {
  for (const f of fields) {
    const raw = m[f];
    if (raw === undefined || raw === null || str(raw).trim() === '') continue;
    const before = errors.length;
    const id = adIdOfValue(str(raw), `${p}/${f}`, errors);
    if (id || errors.length > before) return id;
  }
  return null;
}

/**
 * The postback's dedup key: its eventId, or a fingerprint of the vendor's event name, the ad id
 * and the event time the vendor sent (`sentAt`; null when it sent none: no key).
 */
function keyOf(m: Record<string, unknown>, vendorEvent: string, adid: string, sentAt: Date | null): string | null {
  if (m.eventId !== undefined && m.eventId !== null && m.eventId !== '') return `id:${str(m.eventId)}`;
  if (!sentAt) return null;
  return `fp:${createHash('sha256').update(`${vendorEvent}\u0000${adid}\u0000${sentAt.toISOString()}`).digest('base64url').slice(0, 22)}`;
}

/** Vendor formats have no schema of their own: the eventId rule of the generic one, by hand. */
function checkEventId(m: Record<string, unknown>, p: string, errors: FieldError[]): void {
  if (m.eventId === undefined || m.eventId === null || m.eventId === '') return;
  const v = str(m.eventId);
  if ([...v].length > EVENT_ID_MAX_LENGTH) errors.push({ pointer: `${p}/eventId`, rule: 'maxLength', message: `must NOT have more than ${EVENT_ID_MAX_LENGTH} characters` });
}

function checkFuture(at: Date, now: Date, pointer: string, errors: FieldError[]): void {
  const problem = eventTimeProblem(at, now);
  if (problem) errors.push({ pointer, ...problem });
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
}
