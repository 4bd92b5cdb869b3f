/**
 * Pixel & SDK events as the collection endpoint receives them: the shapes a request may take, the
 * checks every event must pass and the normalised event the writer stores. Pure: no database.
 *
 * A request is all or nothing: one invalid event refuses the whole request (422 with a pointer per
 * finding, e.g. `/events/3/adid`), so a client never has to find out which half was stored.
 */
import { eventTimeProblem } from '../core/event-time';
import { FieldError, InvalidRequest, isCdpError, UnprocessableRequest } from '../core/errors';
import { findUnstorableText } from '../core/text-guard';
import { requestSchemas } from '../core/validation';
import { normalizeAppUserId, normalizeDeviceId } from '../namespaces/identity';

/** Kakao pixel & SDK event names (카카오픽셀 이벤트). */
export const PIXEL_EVENTS = ['pageView', 'search', 'viewContent', 'addToCart', 'addToWishList', 'purchase', 'completeRegistration', 'signUp', 'participation'] as const;
export type PixelEvent = (typeof PIXEL_EVENTS)[number];

export const MAX_EVENTS_PER_REQUEST = 1000;
export const PROPERTIES_MAX_BYTES = 2048;
/**
 * Levels of objects/arrays in `properties`, itself included. Event details are flat values or a list
 * of items with options (`{ items: [{ options: {…} }] }` is 4 levels); 8 leaves room for that, and
 * anything deeper is not what targeting reads (2 KB alone still allows ~1,000 levels of brackets).
 */
export const PROPERTIES_MAX_DEPTH = 8;
const MAX_REPORTED_ERRORS = 50;
const CONTROL_RE = /\p{Cc}/u;

export interface CollectedEvent {
  /** The client's id: the same one for the same tracker within 48 hours is stored once. */
  eventId: string | null;
  event: PixelEvent;
  adid: string | null;
  appUserId: string | null;
  cookieId: string | null;
  occurredAt: Date;
  properties: Record<string, unknown> | null;
}

/** How many events a request body holds, also when it is refused (counted as rejected). */
export function eventsInBody(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  const events = body && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? events.length : 1;
}

/**
 * The events of a POST body — one event object, an array of them, or `{ events: [...] }` — with the
 * JSON Pointer prefix of each, checked and normalised. Throws 422 naming every finding.
 */
export function eventsOfBody(body: unknown, now: Date): CollectedEvent[] {
  let list: unknown[];
  let prefix: string;
  if (Array.isArray(body)) {
    list = body;
    prefix = '';
  } else if (body && typeof body === 'object' && 'events' in body) {
    const events = (body as { events: unknown }).events;
    const extra = Object.keys(body).filter((k) => k !== 'events');
    if (!Array.isArray(events)) throw refused([{ pointer: '/events', rule: 'type', message: 'must be an array of events' }]);
    if (extra.length) throw refused(extra.map((k) => ({ pointer: `/${k}`, rule: 'additionalProperties', message: 'is not a known property; send { events: [...] }' })));
    list = events;
    prefix = '/events';
  } else if (body && typeof body === 'object' && Object.keys(body).length > 0) {
    return [checkEvent(body, '', now)].map(unwrap);
  } else {
    throw refused([{ pointer: '', rule: 'required', message: 'Send one event, an array of events or { events: [...] } as JSON' }]);
  }
  if (list.length === 0) throw refused([{ pointer: prefix, rule: 'minItems', message: 'must hold at least one event' }]);
  if (list.length > MAX_EVENTS_PER_REQUEST) {
    throw refused([{ pointer: prefix, rule: 'maxItems', message: `at most ${MAX_EVENTS_PER_REQUEST} events per request; split the batch` }]);
  }
  const checked = list.map((e, i) => checkEvent(e, `${prefix}/${i}`, now));
  const errors = checked.flatMap((c) => ('errors' in c ? c.errors : []));
  if (errors.length) throw refused(errors);
  return checked.map(unwrap);
}

/** The event of a GET beacon's query string (`?event=pageView&adid=…`). */
export function eventOfQuery(query: Record<string, unknown>, now: Date): CollectedEvent {
  const picked: Record<string, unknown> = {};
  for (const key of ['eventId', 'event', 'adid', 'appUserId', 'cookieId', 'occurredAt', 'properties']) {
    if (query[key] !== undefined && query[key] !== '') picked[key] = query[key];
  }
  return unwrap(checkEvent(picked, '/query', now));
}

type Checked = { event: CollectedEvent } | { errors: FieldError[] };

function unwrap(c: Checked): CollectedEvent {
  if ('errors' in c) throw refused(c.errors);
  return c.event;
}

function refused(errors: FieldError[]): Error {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  return new UnprocessableRequest(
    `${errors.length} problem(s) in the events; nothing was stored. ${shown
      .slice(0, 5)
      .map((e) => `${e.pointer || '/'} ${e.message}`)
      .join('; ')}`,
    { errors: shown, ...(errors.length > shown.length ? { moreErrors: errors.length - shown.length } : {}) },
  );
}

function checkEvent(raw: unknown, pointer: string, now: Date): Checked {
  try {
    requestSchemas().check('pixel-event', raw, 'body', pointer);
  } catch (err) {
    if (isCdpError(err) && err instanceof InvalidRequest) return { errors: err.extras.errors ?? [] };
    throw err;
  }
  const e = raw as { eventId?: string; event: PixelEvent; adid?: string; appUserId?: string | number; cookieId?: string; occurredAt?: string; properties?: Record<string, unknown> };
  const errors: FieldError[] = [];
  let adid: string | null = null;
  let appUserId: string | null = null;
  let cookieId: string | null = null;
  if (e.adid !== undefined) {
    const r = normalizeDeviceId(e.adid);
    if (r.ok) adid = r.value;
    else errors.push({ pointer: `${pointer}/adid`, rule: r.rule, message: r.message });
  }
  if (typeof e.appUserId === 'number' && !Number.isSafeInteger(e.appUserId)) {
    errors.push({ pointer: `${pointer}/appUserId`, rule: 'app_user_id', message: 'a numeric app user id above 2^53 loses digits in JSON; send it as a string' });
  } else if (e.appUserId !== undefined) {
    const r = normalizeAppUserId(String(e.appUserId));
    if (r.ok) appUserId = r.value;
    else errors.push({ pointer: `${pointer}/appUserId`, rule: r.rule, message: r.message });
  }
  if (e.cookieId !== undefined) {
    const v = e.cookieId.trim();
    if (v.length === 0 || CONTROL_RE.test(v)) errors.push({ pointer: `${pointer}/cookieId`, rule: 'cookie_id', message: 'A cookie id is a non-empty string without control characters' });
    else cookieId = v;
  }
  if (e.adid === undefined && e.appUserId === undefined && e.cookieId === undefined) {
    errors.push({ pointer, rule: 'identifier', message: 'An event needs at least one identifier: adid, appUserId or cookieId' });
  }
  let occurredAt = now;
  if (e.occurredAt !== undefined) {
    occurredAt = new Date(e.occurredAt);
    const problem = eventTimeProblem(occurredAt, now);
    if (problem) errors.push({ pointer: `${pointer}/occurredAt`, ...problem });
  }
  if (e.properties !== undefined) {
    // Depth first, without recursion: JSON.stringify below would overflow the stack on a deep tower.
    const hit = findUnstorableText(e.properties, `${pointer}/properties`, PROPERTIES_MAX_DEPTH);
    if (hit?.rule === 'max_depth') {
      errors.push({ pointer: `${pointer}/properties`, rule: 'max_depth', message: `nests more than ${PROPERTIES_MAX_DEPTH} levels of objects and arrays (at ${hit.pointer}); send flat event details` });
    } else if (hit) {
      errors.push({ pointer: hit.pointer, rule: hit.rule, message: 'holds text that cannot be stored (a NUL character or a lone UTF-16 surrogate); remove it' });
    } else if (Buffer.byteLength(JSON.stringify(e.properties)) > PROPERTIES_MAX_BYTES) {
      errors.push({ pointer: `${pointer}/properties`, rule: 'max_size', message: `at most ${PROPERTIES_MAX_BYTES} bytes as JSON; send only what targeting needs (value, currency, keyword …)` });
    }
  }
  if (errors.length) return { errors };
  return { event: { eventId: e.eventId ?? null, event: e.event, adid, appUserId, cookieId, occurredAt, properties: e.properties ?? null } };
}
