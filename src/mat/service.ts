/**
 * MAT 연동: link codes (연동코드) an ad account gives to its mobile attribution vendor, the public
 * postback endpoint the vendor calls, and MAT links (targets of kind `mat`) = the people one vendor
 * reported one event for in the last 120 days, for retargeting.
 *
 * - A link code has a name (unique in the account, at most 30 per account) and a generated code (20
 *   URL-safe characters, 120 random bits: the code is the only thing authorising a postback).
 * - Postbacks are written in one transaction per request together with the universe inbox of the
 *   code's account (node `adid:…`) and the per-code received rollup (vendor, event, first and last
 *   collected, count): "+ MAT 연동하기" offers exactly what was received.
 * - A MAT link may only pick a vendor and event that were received for its code (otherwise, as the
 *   Kakao guide says, event collection is not working yet); its 등록일시 (registeredAt) is when that
 *   vendor's event was first collected.
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, LimitExceeded, NotFound, UnprocessableRequest, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import type { PopulationService, PopulationSource } from '../populations/service';
import type { TargetBase, TargetRow, TargetService } from '../targets/service';
import { enforce, RateLimit, RateLimiter } from '../trackers/rate-limit';
import { DEDUP_HOURS, HOUR_MS, windowStart, WINDOW_DAYS } from '../trackers/service';
import type { SqlFragment, UniverseService, UniverseSource } from '../universe/service';
import { isVendor, MAT_VENDOR_NAMES, MatEvent, MatVendor, ParsedPostbacks, Postback, postbackOfQuery, postbacksOfBody } from './postbacks';

/** Kakao: at most 30 link codes per ad account (as for every target kind). */
export const LINK_CODE_LIMIT = 30;
export const MAT_LINK_MINIMUM = 100;
export const MAT_PRUNE_JOB = 'mat.prune';
/** Hourly: forgets the postback keys received more than 48 hours ago. */
export const MAT_POSTBACK_KEYS_JOB = 'mat.forget-postback-keys';
const RETENTION_DAYS = WINDOW_DAYS + 1;
const PRUNE_CHUNK = 10_000;

export const DEFAULT_POSTBACK_LIMIT: RateLimit = { ratePerSecond: 200, burst: 2000 };

export interface LinkCodeView {
  id: string;
  name: string;
  /** 고유코드: what the vendor's postback URL carries. */
  code: string;
  /** Where vendors send postbacks (replace {vendor}: appsflyer, adjust, kochava, tune, igaworks, wisetracker). */
  postbackPath: string;
  createdAt: string;
  updatedAt: string;
}

export interface ReceivedView {
  vendor: MatVendor;
  vendorName: string;
  event: MatEvent;
  firstCollectedAt: string;
  lastCollectedAt: string;
  count: number;
}

/** Postbacks of a request by outcome: stored, resends not stored again, ignored (no event or ad id), refused with the request. */
export type PostbackListener = (counts: { accepted: number; deduplicated: number; ignored: number; rejected: number }) => void;

export interface MatLinkView extends TargetBase {
  linkCodeId: string;
  linkCodeName: string;
  vendor: MatVendor;
  vendorName: string;
  event: MatEvent;
  /** 수집유형: retargeting is the only type. */
  collectionType: 'RETARGETING';
  /** 등록일시: when the chosen event was first collected from the vendor. */
  registeredAt: string | null;
}

export interface MatLinkInput {
  name: string;
  linkCodeId: string;
  vendor: MatVendor;
  event: MatEvent;
}

interface LinkCodeRow {
  id: string;
  ad_account_id: string;
  name: string;
  code: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

interface MatLinkRow {
  target_id: string;
  link_code_id: string;
  vendor: MatVendor;
  event: MatEvent;
  link_code_name: string;
  first_collected_at: Date | null;
}

const NOBODY: SqlFragment = { sql: 'select null::bigint as person_id where false', bindings: [] };

export class MatService {
  private readonly limiter = new RateLimiter(DEFAULT_POSTBACK_LIMIT);
  private readonly postbackListeners: PostbackListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly targets: TargetService,
    private readonly populations: PopulationService,
    private readonly universe: UniverseService,
    private readonly clock: Clock,
  ) {}

  /** MAT links' populations and the postbacks' replay into a relinked universe (services.ts registers them). */
  readonly populationSources: PopulationSource[] = [{ type: 'mat', people: (q, adAccountId, targetId, now) => this.linkPeople(q, adAccountId, targetId, now) }];
  readonly universeSources: UniverseSource[] = [{ name: 'mat', replay: (tx, caller) => this.replay(tx, caller) }];

  configure(limit: Partial<RateLimit>): void {
    this.limiter.configure(limit);
  }

  // ---- link codes ------------------------------------------------------------------------------

  async createCode(caller: Caller, input: { name: string }): Promise<LinkCodeView> {
    const name = input.name.trim();
    const row = await this.db.transaction(async (tx) => {
      await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`mat_link_codes:${caller.adAccountId}`]);
      const [{ n }] = await tx('mat_link_codes').where({ ad_account_id: caller.adAccountId }).count({ n: '*' });
      if (Number(n) >= LINK_CODE_LIMIT) {
        throw new LimitExceeded(`An ad account can have at most ${LINK_CODE_LIMIT} MAT link codes (연동코드); delete one and try again`, {
          errors: [{ pointer: '', rule: 'limit', message: `at most ${LINK_CODE_LIMIT} link codes per ad account`, params: { limit: LINK_CODE_LIMIT } }],
          limit: LINK_CODE_LIMIT,
        });
      }
      await this.assertCodeNameFree(tx, caller, name);
      const [created] = await tx<LinkCodeRow>('mat_link_codes')
        .insert({ id: newId('mlc'), ad_account_id: caller.adAccountId, name, code: randomBytes(15).toString('base64url'), created_by: caller.keyId })
        .returning('*');
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'mat_link_code', resourceId: created.id, after: { name } });
      return created;
    });
    return codeView(row);
  }

  async listCodes(caller: Caller): Promise<LinkCodeView[]> {
    const rows = await this.db<LinkCodeRow>('mat_link_codes').where({ ad_account_id: caller.adAccountId }).orderBy('created_at', 'desc').orderBy('id', 'desc');
    return rows.map(codeView);
  }

  async getCode(caller: Caller, id: string): Promise<LinkCodeView> {
    return codeView(await this.code(this.db, caller, id));
  }

  async renameCode(caller: Caller, id: string, input: { name: string }): Promise<LinkCodeView> {
    const name = input.name.trim();
    const row = await this.db.transaction(async (tx) => {
      const before = await this.code(tx, caller, id, true);
      if (before.name === name) return before;
      await this.assertCodeNameFree(tx, caller, name, id);
      const [after] = await tx<LinkCodeRow>('mat_link_codes').where({ id }).update({ name, updated_at: tx.fn.now() }).returning('*');
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'mat_link_code', resourceId: id, before: { name: before.name }, after: { name } });
      return after;
    });
    return codeView(row);
  }

  /** Refused while MAT links use the code; its postbacks go with it. */
  async deleteCode(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.code(tx, caller, id, true);
      const links = await tx('mat_links').where({ link_code_id: id, ad_account_id: caller.adAccountId }).select('target_id');
      if (links.length > 0) {
        const ids = new Set(links.map((l: { target_id: string }) => l.target_id));
        const used = (await this.targets.list(tx, caller, 'mat')).filter((t) => ids.has(t.id)).map((t) => ({ type: 'mat_link', id: t.id, name: t.name }));
        throw new Conflict(`Link code "${row.name}" is used by MAT links ${used.map((u) => `"${u.name}"`).join(', ')}; delete them first`, { usage: used });
      }
      await tx('mat_link_codes').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'mat_link_code', resourceId: id, before: { name: row.name } });
    });
  }

  /** Vendors and events received for a code (what "+ MAT 연동하기" offers). */
  async received(caller: Caller, id: string): Promise<{ linkCodeId: string; items: ReceivedView[] }> {
    await this.code(this.db, caller, id);
    return { linkCodeId: id, items: await this.receivedOf(this.db, id) };
  }

  // ---- postbacks -------------------------------------------------------------------------------

  /**
   * A vendor's postback request. Answers `accepted` = the postbacks mapped to an event (stored now
   * or before) and `duplicates` = how many of them were resends of a postback stored for this code
   * and vendor in the last 48 hours (or repeated within the request), not stored again; a resend is
   * answered 202 like the first, since vendors send again on anything else.
   */
  async postback(
    vendor: string,
    code: string,
    input: { body?: unknown; query?: Record<string, unknown> },
    ip: string,
    res: Response,
  ): Promise<{ accepted: number; duplicates: number; ignored: number; ignoredPostbacks: ParsedPostbacks['ignored'] }> {
    try {
      const answer = await this.receive(vendor, code, input, ip, res);
      for (const l of this.postbackListeners) l({ accepted: answer.accepted - answer.duplicates, deduplicated: answer.duplicates, ignored: answer.ignored, rejected: 0 });
      return answer;
    } catch (err) {
      // Each message of a JSON array, else the one message of the body or the query.
      const rejected = Array.isArray(input.body) ? input.body.length : 1;
      for (const l of this.postbackListeners) l({ accepted: 0, deduplicated: 0, ignored: 0, rejected });
      throw err;
    }
  }

  /** Told once per postback request with its postbacks by outcome (metrics; services.ts wires it). */
  onPostbacks(listener: PostbackListener): void {
    this.postbackListeners.push(listener);
  }

  private async receive(
    vendor: string,
    code: string,
    input: { body?: unknown; query?: Record<string, unknown> },
    ip: string,
    res: Response,
  ): Promise<{ accepted: number; duplicates: number; ignored: number; ignoredPostbacks: ParsedPostbacks['ignored'] }> {
    enforce(this.limiter, `${code}|${ip}`, res, 'this link code');
    if (!isVendor(vendor)) throw new NotFound(`Unknown MAT vendor "${vendor}"; use one of appsflyer, adjust, kochava, tune, igaworks, wisetracker`);
    const linkCode = await this.db<LinkCodeRow>('mat_link_codes').where({ code }).first();
    if (!linkCode) throw new NotFound('Unknown link code; copy the 고유코드 of the link code into the postback URL');
    const now = this.clock.now();
    const parsed = input.query ? postbackOfQuery(vendor, input.query, now) : postbacksOfBody(vendor, input.body, now);
    const keys = new Set<string>();
    // The first of the request's postbacks with one key is stored; the others are its repeats.
    const send = parsed.accepted.filter((p) => p.key === null || (!keys.has(p.key) && keys.add(p.key)));
    let stored = 0;
    if (send.length > 0) {
      const statement = postbackSql(linkCode, vendor, send, now, this.universe);
      stored = (await this.db.raw(statement.sql, statement.bindings)).rows[0].stored;
    }
    return { accepted: parsed.accepted.length, duplicates: parsed.accepted.length - stored, ignored: parsed.ignored.length, ignoredPostbacks: parsed.ignored };
  }

  /** Forgets the postback keys received more than 48 hours ago (hourly job), in bounded chunks. */
  async forgetPostbackKeys(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - DEDUP_HOURS * HOUR_MS);
    let total = 0;
    for (;;) {
      const n = await this.db.raw(
        `delete from mat_postback_ids d using (select link_code_id, vendor, postback_key from mat_postback_ids where received_at < ? limit ?) o
          where d.link_code_id = o.link_code_id and d.vendor = o.vendor and d.postback_key = o.postback_key and d.received_at < ?`,
        [before, PRUNE_CHUNK, before],
      );
      total += n.rowCount ?? 0;
      if ((n.rowCount ?? 0) < PRUNE_CHUNK) return total;
    }
  }

  /** Deletes postbacks no window reads any more (daily job). */
  async prune(): Promise<number> {
    const before = windowStart(this.clock.now(), RETENTION_DAYS);
    let total = 0;
    for (;;) {
      const n = await this.db.raw(`delete from mat_postbacks where seq in (select seq from mat_postbacks where occurred_at < ? limit ?)`, [before, PRUNE_CHUNK]);
      total += n.rowCount ?? 0;
      if ((n.rowCount ?? 0) < PRUNE_CHUNK) return total;
    }
  }

  // ---- MAT links (targets of kind mat) ---------------------------------------------------------

  async createLink(caller: Caller, input: MatLinkInput): Promise<MatLinkView> {
    const id = await this.db.transaction(async (tx) => {
      const code = await tx<LinkCodeRow>('mat_link_codes').where({ id: input.linkCodeId, ad_account_id: caller.adAccountId }).first();
      if (!code) throw ruleError('/linkCodeId', 'exists', `Link code ${input.linkCodeId} not found in this ad account`);
      const received = await this.receivedOf(tx, code.id);
      if (!received.some((r) => r.vendor === input.vendor && r.event === input.event)) {
        const seen = received.length ? received.map((r) => `${r.vendor} ${r.event}`).join(', ') : 'nothing yet';
        const message =
          `No ${input.event} postback from ${MAT_VENDOR_NAMES[input.vendor]} has been received for link code "${code.name}" (received: ${seen}). ` +
          'A vendor and event that cannot be confirmed mean event collection is not working yet (확인이 불가할 시 이벤트 수집이 정상적으로 이뤄지지 않았음): check the postback set-up at the vendor and try again once it arrives';
        throw new UnprocessableRequest(message, {
          errors: [{ pointer: '/event', rule: 'received', message: `not received from ${input.vendor} for this link code` }],
          received,
        });
      }
      const row = await this.targets.create(tx, caller, {
        kind: 'mat',
        name: input.name.trim(),
        settings: { linkCodeId: code.id, vendor: input.vendor, event: input.event, collectionType: 'RETARGETING' },
        cadenceMs: HOUR_MS,
        minimum: MAT_LINK_MINIMUM,
      });
      await tx('mat_links').insert({ target_id: row.id, ad_account_id: caller.adAccountId, link_code_id: code.id, vendor: input.vendor, event: input.event });
      return row.id;
    });
    await this.targets.queueCount(id);
    return this.getLink(caller, id);
  }

  async listLinks(caller: Caller): Promise<MatLinkView[]> {
    return this.linkViews(this.db, await this.targets.list(this.db, caller, 'mat'));
  }

  async getLink(caller: Caller, id: string): Promise<MatLinkView> {
    return (await this.linkViews(this.db, [await this.targets.find(this.db, caller, 'mat', id)]))[0];
  }

  async renameLink(caller: Caller, id: string, input: { name: string }): Promise<MatLinkView> {
    await this.db.transaction((tx) => this.targets.rename(tx, caller, 'mat', id, input.name.trim()));
    return this.getLink(caller, id);
  }

  async deleteLink(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, 'mat', id);
  }

  // ---- internals -------------------------------------------------------------------------------

  private async code(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<LinkCodeRow> {
    const query = q<LinkCodeRow>('mat_link_codes').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`MAT link code ${id} not found`);
    return row;
  }

  private async assertCodeNameFree(q: Queryable, caller: Caller, name: string, exceptId?: string): Promise<void> {
    const query = q('mat_link_codes').where({ ad_account_id: caller.adAccountId }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) {
      throw new Duplicate(`A MAT link code named "${name}" already exists in this ad account; choose another name`, {
        errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }],
      });
    }
  }

  private async receivedOf(q: Queryable, linkCodeId: string): Promise<ReceivedView[]> {
    const rows: { vendor: MatVendor; event: MatEvent; first_collected_at: Date; last_collected_at: Date; count: string }[] = await q('mat_received')
      .where({ link_code_id: linkCodeId })
      .orderBy('first_collected_at')
      .orderBy('vendor')
      .orderBy('event');
    return rows.map((r) => ({
      vendor: r.vendor,
      vendorName: MAT_VENDOR_NAMES[r.vendor],
      event: r.event,
      firstCollectedAt: r.first_collected_at.toISOString(),
      lastCollectedAt: r.last_collected_at.toISOString(),
      count: Number(r.count),
    }));
  }

  private async linkViews(q: Queryable, rows: TargetRow[]): Promise<MatLinkView[]> {
    const bases = await this.targets.bases(q, rows);
    const details: MatLinkRow[] = rows.length
      ? await q('mat_links as l')
          .join('mat_link_codes as c', 'c.id', 'l.link_code_id')
          .leftJoin('mat_received as r', (j) => j.on('r.link_code_id', 'l.link_code_id').andOn('r.vendor', 'l.vendor').andOn('r.event', 'l.event'))
          .whereIn('l.target_id', rows.map((r) => r.id))
          .select('l.*', 'c.name as link_code_name', 'r.first_collected_at')
      : [];
    const byId = new Map(details.map((d) => [d.target_id, d]));
    return bases.map((b) => {
      const d = byId.get(b.id)!;
      return {
        ...b,
        linkCodeId: d.link_code_id,
        linkCodeName: d.link_code_name,
        vendor: d.vendor,
        vendorName: MAT_VENDOR_NAMES[d.vendor],
        event: d.event,
        collectionType: 'RETARGETING' as const,
        registeredAt: d.first_collected_at?.toISOString() ?? null,
      };
    });
  }

  private async linkPeople(q: Queryable, adAccountId: string, targetId: string, now: Date): Promise<SqlFragment> {
    const link = await q('mat_links').where({ target_id: targetId, ad_account_id: adAccountId }).first();
    if (!link) return NOBODY;
    return this.universe.peopleOfNodes(adAccountId, {
      sql: `select 'adid:' || adid from mat_postbacks where link_code_id = ? and vendor = ? and event = ? and occurred_at >= ?`,
      bindings: [link.link_code_id, link.vendor, link.event, windowStart(now)],
    });
  }

  /**
   * Lookalike features: the postbacks since `from` received on the account's link codes, as
   * records `(record_key, nodes, feature 'mat:<event>', value 1)`.
   */
  postbackFeatureRecords(adAccountId: string, from: Date): SqlFragment {
    return {
      sql: `select p.seq::text as record_key, array['adid:' || p.adid] as nodes, 'mat:' || p.event as feature, 1::float8 as value
            from mat_postbacks p join mat_link_codes c on c.id = p.link_code_id
            where c.ad_account_id = ? and p.occurred_at >= ?`,
      bindings: [adAccountId, from],
    };
  }

  /** Universe relink: every stored postback of the account's link codes. */
  private async replay(tx: Tx, caller: Caller): Promise<void> {
    await this.universe.appendFromQuery(tx, caller.adAccountId, {
      sql: `select array['adid:' || p.adid] as nodes from mat_postbacks p join mat_link_codes c on c.id = p.link_code_id where c.ad_account_id = ? order by p.seq`,
      bindings: [caller.adAccountId],
    });
  }
}

/**
 * One statement per postback request (atomic without a transaction): the keys seen go into
 * mat_postback_ids first (in key order: concurrent requests of one code lock them in the same
 * order), a key already there and received less than 48 hours before is left alone, one older is
 * refreshed; only postbacks without a key or whose key was inserted or refreshed are stored, counted
 * in the received rollup and appended to the universe inbox of the code's account. `send` holds
 * each key at most once (ON CONFLICT cannot touch a row twice in one statement).
 */
function postbackSql(linkCode: LinkCodeRow, vendor: MatVendor, send: Postback[], now: Date, universe: UniverseService): SqlFragment {
  const rows = send.map((p, n) => ({ n, key: p.key, event: p.event, vendor_event: p.vendorEvent, adid: p.adid, occurred_at: p.occurredAt.toISOString() }));
  const inbox = universe.appendSql({ sql: `select ?::text as ad_account_id, array['adid:' || adid] as nodes from ins order by seq`, bindings: [linkCode.ad_account_id] });
  return {
    sql: `with input as materialized (
            select * from jsonb_to_recordset(?::jsonb) as x(n int, key text, event text, vendor_event text, adid text, occurred_at timestamptz)
          ),
          seen as (
            insert into mat_postback_ids (ad_account_id, link_code_id, vendor, postback_key, received_at)
            select ?, ?, ?, key, ? from input where key is not null order by key
            on conflict (link_code_id, vendor, postback_key, ad_account_id) do update set received_at = excluded.received_at
              where mat_postback_ids.received_at < excluded.received_at - interval '${DEDUP_HOURS} hours'
            returning postback_key
          ),
          ins as (
            insert into mat_postbacks (ad_account_id, link_code_id, vendor, event, vendor_event, adid, occurred_at, received_at)
            select ?, ?, ?, x.event, x.vendor_event, x.adid, x.occurred_at, ?
            from input x where x.key is null or x.key in (select postback_key from seen)
            order by x.n
            returning seq, event, adid
          ),
          received as (
            insert into mat_received (ad_account_id, link_code_id, vendor, event, first_collected_at, last_collected_at, count)
            select ?, ?, ?, event, ?, ?, count(*) from ins group by event
            on conflict (link_code_id, vendor, event, ad_account_id) do update set
              last_collected_at = greatest(mat_received.last_collected_at, excluded.last_collected_at),
              first_collected_at = least(mat_received.first_collected_at, excluded.first_collected_at),
              count = mat_received.count + excluded.count
          ),
          inbox as (${inbox.sql})
          select count(*)::int as stored from ins`,
    bindings: [
      JSON.stringify(rows),
      ...[linkCode.ad_account_id, linkCode.id, vendor, now],
      ...[linkCode.ad_account_id, linkCode.id, vendor, now],
      ...[linkCode.ad_account_id, linkCode.id, vendor, now, now],
      ...inbox.bindings,
    ],
  };
}

function codeView(r: LinkCodeRow): LinkCodeView {
  return {
    id: r.id,
    name: r.name,
    code: r.code,
    postbackPath: `/v1/mat/postbacks/{vendor}/${r.code}`,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
