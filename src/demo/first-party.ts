/**
 * The first-party half of the demo (Kakao Moment's 타겟 관리), through the public HTTP API only:
 * a data engineer loads the advertiser's people into a profile-enabled Individual Profile dataset
 * (the account's identity universe), then a marketer makes a customer file, a talk channel with
 * friends and a friend group, a pixel fed through the public collection endpoint, a MAT link fed by
 * vendor postbacks, a display campaign with ad reactions and an ad-response target, a lookalike of
 * the customer file (when it is large enough to be a seed), and finally an
 * ad group's targeting with its reach, the usage of a target and the refused delete of it.
 *
 * Everything sent is generated here from the seeded people of `generate.ts`, and the numbers it
 * implies (who is in the file, who clicked and did not play, …) are counted here per generated
 * person, independently of the service: `implied` in the result, which the service's numbers match.
 */
import type { DemoApi } from './client';
import { FirstPartyPerson, firstPartyCsvStream, firstPartyPeople, firstPartySchemaBody, prng, randomAdid } from './generate';

export interface FirstPartyOptions {
  api: DemoApi;
  /** Suffix making names unique (trackers are named per organisation, and the CLI makes a new ad account per demo). */
  stamp: string;
  /** Generated people; the other sizes follow from it (at 3,000: ~2,100 in the customer file, 600 channel friends, …). */
  people: number;
  say: (line: string) => void;
  /** Number of the first step printed. */
  step: number;
  seed?: number;
}

export interface Population {
  state: string;
  label: string;
  count: number | null;
  minimum: number;
  usable: boolean;
}

export interface UploadCounts {
  received: number;
  succeeded: number;
  failed: number;
  duplicates: number;
}

export interface FirstPartyResult {
  datasetId: string;
  /** What the generated data implies, counted per generated person (the service's numbers should equal these). */
  implied: {
    people: number;
    records: number;
    /** People in the universe at the end: the generated people plus the new devices seen by the pixel and MAT. */
    universePeople: number;
    customerFile: { counts: UploadCounts; population: number };
    channelFriends: number;
    friendGroup: { counts: UploadCounts; friendCount: number };
    trackerPopulation: number;
    pixelPurchasers30d: number;
    matPurchasers: number;
    reactions: { accepted: number; notQualifyingPlays: number };
    adResponse: number;
    reach: { base: number; included: number; excluded: number; reach: number };
  };
  load: { status: string; counts: { input: number; output: number; failed: number } };
  universe: { people: number; identities: number; identitiesByKind: Record<string, number> };
  customerFile: { id: string; name: string; status: string; counts: UploadCounts; population: Population };
  talkChannel: { id: string; searchId: string; friendCount: number };
  friendGroup: { id: string; name: string; counts: UploadCounts; friendCount: number | null; population: Population };
  /** `resent`: the first batch sent again (stored once); `refusedStatus`: an event with a malformed adid (422). */
  tracker: { trackId: string; status: string; eventsSent: number; resent: { accepted: number; duplicates: number }; refusedStatus: number; population: Population; eventTypes: string[] };
  pixelTarget: { id: string; name: string; population: Population };
  /** `resent`: the purchases postback sent again; `ignored`: postbacks of an all-zero ad id. */
  mat: { linkCodeId: string; received: { vendor: string; event: string; count: number }[]; resent: { accepted: number; duplicates: number }; ignored: number; link: { id: string; name: string; population: Population } };
  reactions: { accepted: number; notQualifyingPlays: number };
  adResponse: { id: string; name: string; population: Population };
  /** Null when the customer file is below a seed's minimum (2,000 people), as at the test's small size. */
  lookalike: { id: string; name: string; status: string; population: Population } | null;
  adGroup: { id: string; name: string };
  reach: { base: number; included: number | null; excluded: number | null; reach: number };
  usage: { type: string; id: string; name: string; role: string; campaign: string | null }[];
  refusedDelete: { status: number; detail: string };
  targets: { kind: string; name: string; population: Population }[];
}

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const fmt = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));

/** "2,100 people", "62 people (모수부족: below the minimum of 100, still usable)", "준비중". */
function shown(p: Population): string {
  if (p.count === null) return p.label;
  if (p.state === 'too_small') return `${fmt(p.count)} people (${p.label}: below the minimum of ${p.minimum}, still usable)`;
  return `${fmt(p.count)} people`;
}

/** Pads to a width in terminal columns: Hangul and other wide characters take two. */
function padColumns(text: string, width: number): string {
  const columns = [...text].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
  return text + ' '.repeat(Math.max(1, width - columns));
}

const counted = (x: { population: Population }) => !['preparing', 'querying'].includes(x.population.state);

export async function runFirstPartyDemo(opts: FirstPartyOptions): Promise<FirstPartyResult> {
  const { api, stamp, say } = opts;
  const P = opts.people;
  const seed = opts.seed ?? 11;
  const rand = prng(seed * 7919 + 1);
  const shuffle = <T>(items: readonly T[]): T[] => {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  let step = opts.step;
  const heading = (text: string) => say(`${step++}. ${text}`);
  const detail = (text: string) => say(`   ${text}`);

  const people = [...firstPartyPeople(P, seed)];
  const records = people.reduce((n, p) => n + p.adids.length, 0);
  // Devices the advertiser's CRM does not know (new site visitors, new app installs): each a new person.
  let newPeople = 0;

  say('');
  say('First-party targets (Kakao Moment 타겟 관리), same ad account:');

  // ---- 1. Data engineer: the advertiser's people become the account's universe --------------------
  const schema = await api.post('/v1/schemas', firstPartySchemaBody(`App members ${stamp}`));
  await api.post(`/v1/schemas/${schema.id}/enable-profile`);
  const dataset = await api.post('/v1/datasets', { name: `App members ${stamp}`, schemaId: schema.id });
  await api.post(`/v1/datasets/${dataset.id}/enable-profile`);
  const batch = await api.upload(`/v1/datasets/${dataset.id}/data?format=csv&fileName=app_members_${stamp}.csv`, firstPartyCsvStream(P, seed), 'text/csv');
  if (batch.status !== 'success') throw new Error(`the first-party load failed: ${batch.failureReason}`);
  heading(
    `data engineer loaded ${fmt(P)} app members (${fmt(batch.counts.output)} device records with ADID, app user id, 010 mobile and email; ${batch.counts.failed} row errors) into profile dataset ${dataset.id}`,
  );
  // The linker folds new records into the identity graph every minute; the engineer does not wait.
  await api.post('/v1/universe/link');
  const universe = await api.get('/v1/universe');
  const kinds = Object.entries(universe.identitiesByKind as Record<string, number>).map(([k, n]) => `${k} ${fmt(n)}`);
  detail(`universe (GET /v1/universe): ${fmt(universe.people)} people, ${fmt(universe.identities)} identities (${kinds.join(' · ')})`);

  // ---- 2. Customer file (고객파일) ------------------------------------------------------------------
  const inFile = shuffle(people).slice(0, Math.round(P * 0.7));
  const knownRows: string[] = [];
  for (const p of inFile) {
    knownRows.push(p.adids[0]);
    if (p.adids[1] && rand() < 0.5) knownRows.push(p.adids[1]); // two ADIDs of one person count once
  }
  const unknownRows = Array.from({ length: Math.round(P * 0.05) }, () => randomAdid(rand)); // devices nobody has seen
  const duplicateRows = Array.from({ length: Math.max(3, Math.round(P * 0.02)) }, (_, i) => {
    const a = pick(knownRows);
    return i % 2 ? a.toUpperCase() : a; // exports repeat rows, sometimes in capitals
  });
  const invalidRows = ['not-an-adid', '00000000-0000-0000-0000-000000000000', pick(knownRows).replace(/-/g, ''), '광고식별자 없음', 'N/A'];
  const fileRows = shuffle([...knownRows, ...unknownRows, ...duplicateRows, ...invalidRows]);
  const fileCounts: UploadCounts = {
    received: fileRows.length,
    succeeded: knownRows.length + unknownRows.length,
    failed: invalidRows.length,
    duplicates: duplicateRows.length,
  };
  const upload = await api.upload(`/v1/targets/customer-files/uploads?fileName=crm_adids_${stamp}.csv`, ['adid', ...fileRows].join('\r\n') + '\r\n', 'text/csv');
  const c = upload.counts as UploadCounts;
  heading(
    `marketer uploaded a customer file (고객파일) of ${fmt(c.received)} rows: ${fmt(c.succeeded)} ADIDs registered, ${fmt(c.failed)} failed (download: ${upload.failuresUrl}), ${fmt(c.duplicates)} duplicates`,
  );
  const createdFile = await api.post('/v1/targets/customer-files', { uploadId: upload.id, name: `VIP 회원 ${stamp}` });
  const customerFile = await api.until<any>(`/v1/targets/customer-files/${createdFile.id}`, counted);
  detail(`"${customerFile.name}" was ${createdFile.status}, now ${customerFile.status}: population (모수) ${shown(customerFile.population)}`);

  // ---- 3. Talk channel friends and a friend group (친구그룹) -----------------------------------------
  const channel = await api.post('/v1/talk-channels', { name: `쇼핑몰 ${stamp}`, searchId: `@shop${stamp}` });
  const friends = shuffle(people).slice(0, Math.round(P * 0.2));
  const friendSet = new Set(friends.map((p) => p.n));
  // Friends are known by phone number (as written in various ways) or by app user id.
  const friendBody = friends.map((p, i) => (i % 3 === 2 ? { appUserId: p.appUserId } : { phoneNumber: i % 3 === 0 ? p.phone : p.phone.replace(/-/g, '') }));
  let friendCount = 0;
  for (let i = 0; i < friendBody.length; i += 10_000) {
    friendCount = (await api.post(`/v1/talk-channels/${channel.id}/friends`, { friends: friendBody.slice(i, i + 10_000) })).friendCount;
  }
  const groupSize = Math.round(P * 0.1);
  const groupFriends = friends.slice(0, Math.ceil(groupSize / 2));
  const groupOthers = shuffle(people.filter((p) => !friendSet.has(p.n))).slice(0, groupSize - groupFriends.length);
  const groupMembers = shuffle([...groupFriends, ...groupOthers]);
  const asWritten = (p: FirstPartyPerson, i: number) => [p.phone, p.phone.replace(/-/g, ''), `+82 ${p.phone.slice(1)}`][i % 3];
  // Generated numbers never start 010-1…, so these belong to nobody the advertiser knows.
  const strangers = Array.from({ length: 5 }, (_, i) => `010-1${String(100 + i * 173).padStart(3, '0')}-${String(1000 + Math.floor(rand() * 9000))}`);
  const landlines = ['02-3456-7890', '031-789-1234'];
  const repeated = groupMembers.slice(0, 3).map((p) => `+82 10 ${p.phone.slice(4).replace('-', ' ')}`);
  const groupLines = shuffle([...groupMembers.map(asWritten), ...strangers, ...landlines, ...repeated]);
  const groupCounts: UploadCounts = {
    received: groupLines.length,
    succeeded: groupMembers.length + strangers.length,
    failed: landlines.length,
    duplicates: repeated.length,
  };
  const groupUpload = await api.upload(
    `/v1/targets/friend-groups/uploads?channelId=${channel.id}&type=PHONE_NUMBER&fileName=friend_group_${stamp}.csv`,
    ['phone_number', ...groupLines].join('\r\n') + '\r\n',
    'text/csv',
  );
  const groupCreated = await api.post('/v1/targets/friend-groups', { uploadId: groupUpload.id, name: `단골 고객 ${stamp}` });
  const group = await api.until<any>(`/v1/targets/friend-groups/${groupCreated.id}`, counted);
  heading(`talk channel ${channel.searchId}: ${fmt(friendCount)} friends added (by phone number or app user id)`);
  const gc = groupUpload.counts as UploadCounts;
  detail(
    `friend group (친구그룹) "${group.name}": ${fmt(gc.received)} phone numbers → ${fmt(gc.succeeded)} registered, ${fmt(gc.failed)} failed (landlines), ${fmt(gc.duplicates)} duplicates; friend count (친구수) ${group.friendCountLabel}`,
  );

  // ---- 4. Pixel & SDK: events to the public collection endpoint --------------------------------------
  const tracker = await api.post('/v1/trackers', { name: `쇼핑몰 픽셀 ${stamp}` });
  interface Visitor {
    person: number;
    adids: string[];
  }
  const visitors: Visitor[] = shuffle(people)
    .slice(0, Math.round(P * 0.1))
    .map((p) => ({ person: p.n, adids: p.adids }));
  for (let i = 0; i < Math.max(1, Math.round(P * 0.01)); i++) visitors.push({ person: P + ++newPeople, adids: [randomAdid(rand)] });
  const purchasers30 = new Set<number>();
  const events: Record<string, unknown>[] = [];
  for (const v of visitors) {
    const adid = pick(v.adids);
    const views = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < views; i++) events.push({ event: 'pageView', adid, occurredAt: at(rand() * 60), properties: { path: pick(['/', '/best', '/sale', '/new']) } });
    if (rand() < 0.5) {
      // Four purchases in five are recent; the rest 31–59 days ago, outside "the last 30 days".
      const recent = rand() < 0.8;
      const daysAgo = recent ? Math.floor(rand() * 29) + (1 + Math.floor(rand() * 20)) / 24 : 31 + Math.floor(rand() * 29);
      events.push({ event: 'addToCart', adid, occurredAt: at(daysAgo + 0.01) });
      events.push({ event: 'purchase', adid, occurredAt: at(daysAgo), properties: { value: 10_000 * (1 + Math.floor(rand() * 30)), currency: 'KRW' } });
      if (recent) purchasers30.add(v.person);
    }
  }
  // As a site's script or an app SDK flushes them: batches of up to 100, no API key, each event with
  // the id the script made for it, so a batch sent again (no answer seen) is stored once.
  events.forEach((e, i) => (e.eventId = `${stamp}-${i}`));
  const collect = `/v1/collect/${tracker.trackId}`;
  for (let i = 0; i < events.length; i += 100) await api.publicPost(collect, { events: events.slice(i, i + 100) });
  const resent = await api.publicPost(collect, { events: events.slice(0, 100) });
  const malformed = await api.attempt('POST', collect, { events: [{ event: 'purchase', adid: 'not-an-adid' }] });
  const trackerNow = await api.post(`/v1/trackers/${tracker.trackId}/refresh`);
  heading(
    `pixel & SDK "${tracker.name}" (track_id ${tracker.trackId}): ${fmt(events.length)} events of ${fmt(visitors.length)} visitors posted to the public POST /v1/collect/${tracker.trackId} (no API key)`,
  );
  detail(`the first batch sent again (a client that saw no answer): ${resent.accepted} accepted, ${resent.duplicates} duplicates not stored again; an event with a malformed adid: ${malformed.status} ${malformed.body?.errors?.[0]?.pointer ?? ''}`);
  detail(`collection ${tracker.status} → ${trackerNow.status}, event types ${trackerNow.eventTypes.join(', ')}; population (120 days) ${shown(trackerNow.population)}`);
  const pixelCreated = await api.post('/v1/targets/pixel', { name: `최근 30일 구매자 ${stamp}`, trackId: tracker.trackId, event: 'purchase', days: 30 });
  const pixelTarget = await api.until<any>(`/v1/targets/pixel/${pixelCreated.id}`, counted);
  detail(`pixel target "${pixelTarget.name}" (purchase, last 30 days): ${shown(pixelTarget.population)}`);

  // ---- 5. MAT: postbacks from a measurement vendor ---------------------------------------------------
  const linkCode = await api.post('/v1/mat/link-codes', { name: `쇼핑 앱 ${stamp}` });
  const installs = shuffle(people)
    .slice(0, Math.round(P * 0.05))
    .map((p) => ({ person: p.n, adid: pick(p.adids) }));
  for (let i = 0; i < Math.max(1, Math.round(P * 0.01)); i++) installs.push({ person: P + ++newPeople, adid: randomAdid(rand) });
  const buyers = installs.filter(() => rand() < 0.4);
  const matPurchasers = new Set(buyers.map((b) => b.person));
  const postback = `/v1/mat/postbacks/igaworks/${linkCode.code}`;
  const sentInstalls = await api.publicPost(postback, installs.map((x) => ({ event: 'install', adid: x.adid, occurredAt: at(1 + rand() * 20) })));
  const purchases = buyers.map((x) => ({ event: 'purchase', adid: x.adid, occurredAt: at(rand() * 0.9) }));
  const sentPurchases = await api.publicPost(postback, purchases);
  // Vendors resend what they saw no answer to (stored once), and send ad-tracking-limited installs
  // with an all-zero ad id (ignored, counted).
  const resentPurchases = await api.publicPost(postback, purchases);
  const limited = await api.publicPost(postback, { event: 'install', adid: '00000000-0000-0000-0000-000000000000', occurredAt: at(1) });
  const received = (await api.get(`/v1/mat/link-codes/${linkCode.id}/received`)).items as { vendor: string; event: string; count: number }[];
  heading(
    `MAT link code "${linkCode.name}": 2 postbacks to POST /v1/mat/postbacks/igaworks/{code} (${sentInstalls.accepted} installs, ${sentPurchases.accepted} purchases) → received: ${received.map((r) => `${r.vendor} ${r.event} ×${r.count}`).join(', ')}`,
  );
  detail(`the purchases sent again: ${resentPurchases.duplicates} of ${resentPurchases.accepted} duplicates, stored once; an install with an all-zero ad id: ${limited.ignored} ignored`);
  const matCreated = await api.post('/v1/targets/mat', { name: `앱 구매자 ${stamp}`, linkCodeId: linkCode.id, vendor: 'igaworks', event: 'purchase' });
  const matLink = await api.until<any>(`/v1/targets/mat/${matCreated.id}`, counted);
  detail(`MAT link "${matLink.name}" (igaworks purchase, ${matLink.collectionType}): ${shown(matLink.population)}`);

  // ---- 6. Campaign, reactions, ad-response target, targeting and reach ------------------------------
  const campaign = await api.post('/v1/campaigns', { name: `겨울 세일 ${stamp}`, type: 'DISPLAY' });
  const videoA = await api.post('/v1/ad-groups', { campaignId: campaign.id, name: '동영상 A' });
  const videoB = await api.post('/v1/ad-groups', { campaignId: campaign.id, name: '동영상 B' });
  const clickers = new Set<number>();
  const players = new Set<number>();
  const reactions: Record<string, unknown>[] = [];
  let shortPlays = 0;
  for (const p of shuffle(people).slice(0, Math.round(P * 0.15))) {
    const who = () => (rand() < 0.7 ? { adid: pick(p.adids) } : { appUserId: p.appUserId });
    // Most reactions fall in the 30-day collection period; some 35–55 days ago, outside it.
    const when = () => (rand() < 0.85 ? 0.1 + rand() * 25 : 35 + rand() * 20);
    const clicks = rand() < 0.7 ? 1 + Math.floor(rand() * 2) : 0;
    for (let i = 0; i < clicks; i++) {
      const d = when();
      reactions.push({ adGroupId: pick([videoA.id, videoB.id]), type: 'CLICK', ...who(), occurredAt: at(d) });
      if (d < 30) clickers.add(p.n);
    }
    if (rand() < 0.45) {
      const d = when();
      const qualifying = rand() < 0.7; // ≥ 3 s or ≥ 25 % counts as 재생; shorter plays are kept but never counted
      const length = qualifying
        ? rand() < 0.5
          ? { playSeconds: 3 + Math.floor(rand() * 27) }
          : { playPercent: 25 + Math.floor(rand() * 76) }
        : { playSeconds: 1 + Math.floor(rand() * 2), playPercent: 5 + Math.floor(rand() * 15) };
      reactions.push({ adGroupId: pick([videoA.id, videoB.id]), type: 'PLAY', ...who(), occurredAt: at(d), ...length });
      if (!qualifying) shortPlays++;
      else if (d < 30) players.add(p.n);
    }
    if (rand() < 0.1) reactions.push({ adGroupId: pick([videoA.id, videoB.id]), type: 'CONVERSION', ...who(), occurredAt: at(when()) });
  }
  const recorded = await api.upload('/v1/reactions', reactions.map((r) => JSON.stringify(r)).join('\n') + '\n', 'application/x-ndjson');
  heading(
    `display campaign "${campaign.name}" with ad groups ${videoA.name} and ${videoB.name}: ${fmt(recorded.accepted)} reactions recorded as JSON lines (${fmt(recorded.notQualifyingPlays)} plays under 3 s and 25 % do not count as 재생)`,
  );
  const arCreated = await api.post('/v1/targets/ad-response', {
    campaignType: 'DISPLAY',
    sources: [videoA.id, videoB.id],
    combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'PLAY' },
    collectionDays: 30,
  });
  const adResponse = await api.until<any>(`/v1/targets/ad-response/${arCreated.id}`, counted);
  detail(`ad-response target (광고반응타겟) "${adResponse.name}" (clicked, did not play, last 30 days): ${shown(adResponse.population)}`);

  // ---- 7. A lookalike (유사타겟) of the customer file, when the file is large enough to be a seed ------
  const seeds = (await api.get('/v1/targets/lookalikes/seeds')).items as { type: string; id: string; name: string; population: number | null; selectable: boolean; reason?: string }[];
  const fileSeed = seeds.find((x) => x.id === customerFile.id);
  let lookalike: FirstPartyResult['lookalike'] = null;
  if (fileSeed?.selectable) {
    const created = await api.post('/v1/targets/lookalikes', { seed: { type: 'CUSTOMER_FILE', id: customerFile.id }, size: 10 });
    const built = await api.until<any>(`/v1/targets/lookalikes/${created.id}`, (l) => l.status !== 'STANDBY' && counted(l));
    lookalike = { id: built.id, name: built.name, status: built.status, population: built.population };
    heading(`lookalike (유사타겟) "${built.name}" of the customer file, 10 % of the universe: ${built.status}, ${shown(built.population)}${built.status === 'SEED_NOT_ENOUGH' ? ' (a lookalike needs 1,000 people: the universe is small at this demo size)' : ''}`);
  } else {
    heading(`no lookalike (유사타겟): the customer file cannot be its seed (${fileSeed?.reason ?? 'not offered'})`);
  }

  const retargeting = await api.post('/v1/ad-groups', { campaignId: campaign.id, name: '리타게팅' });
  await api.put(`/v1/ad-groups/${retargeting.id}/targeting`, { include: [customerFile.id, adResponse.id], exclude: [pixelTarget.id] });
  const reach = await api.post(`/v1/ad-groups/${retargeting.id}/reach`, {});
  heading(
    `ad group "${retargeting.name}" targets (맞춤타겟) include [customer file, ad-response target], exclude [pixel purchasers] → reach ${fmt(reach.reach)} of ${fmt(reach.base.people)} people (included ${fmt(reach.included)}, excluded ${fmt(reach.excluded)})`,
  );
  const usage = (await api.get(`/v1/targets/${customerFile.id}/usage`)).items as { type: string; id: string; name: string; role: string; campaign: { name: string } | null }[];
  detail(`customer file usage (GET /v1/targets/${customerFile.id}/usage): ${usage.map((u) => `${u.type.replace('_', ' ')} "${u.name}"${u.campaign ? ` of campaign "${u.campaign.name}"` : ''} (${u.role})`).join('; ')}`);
  const refused = await api.attempt('DELETE', `/v1/targets/customer-files/${customerFile.id}`);
  if (refused.status < 400) throw new Error('the customer file in use was deleted');
  detail(`deleting it is refused (${refused.status}): ${refused.body?.detail}`);

  const targets = ((await api.get('/v1/targets')).items as { kind: string; name: string; population: Population }[]).map((t) => ({ kind: t.kind, name: t.name, population: t.population }));
  detail('targets of the account (GET /v1/targets):');
  for (const t of targets) detail(`  ${t.kind.padEnd(14)}${padColumns(t.name, 40)}${t.population.count === null ? t.population.label : `${fmt(t.population.count)}${t.population.state === 'too_small' ? ` (${t.population.label})` : ''}`}`);

  const adResponsePeople = [...clickers].filter((n) => !players.has(n));
  const includedPeople = new Set([...inFile.map((p) => p.n), ...adResponsePeople]);
  return {
    datasetId: dataset.id,
    implied: {
      people: P,
      records,
      universePeople: P + newPeople,
      customerFile: { counts: fileCounts, population: inFile.length },
      channelFriends: friends.length,
      friendGroup: { counts: groupCounts, friendCount: groupFriends.length },
      trackerPopulation: visitors.length,
      pixelPurchasers30d: purchasers30.size,
      matPurchasers: matPurchasers.size,
      reactions: { accepted: reactions.length, notQualifyingPlays: shortPlays },
      adResponse: adResponsePeople.length,
      reach: {
        base: P + newPeople,
        included: includedPeople.size,
        excluded: purchasers30.size,
        reach: [...includedPeople].filter((n) => !purchasers30.has(n)).length,
      },
    },
    load: { status: batch.status, counts: batch.counts },
    universe: { people: universe.people, identities: universe.identities, identitiesByKind: universe.identitiesByKind },
    customerFile: { id: customerFile.id, name: customerFile.name, status: customerFile.status, counts: c, population: customerFile.population },
    talkChannel: { id: channel.id, searchId: channel.searchId, friendCount },
    friendGroup: { id: group.id, name: group.name, counts: gc, friendCount: group.friendCount, population: group.population },
    tracker: {
      trackId: tracker.trackId,
      status: trackerNow.status,
      eventsSent: events.length,
      resent: { accepted: resent.accepted, duplicates: resent.duplicates },
      refusedStatus: malformed.status,
      population: trackerNow.population,
      eventTypes: trackerNow.eventTypes,
    },
    pixelTarget: { id: pixelTarget.id, name: pixelTarget.name, population: pixelTarget.population },
    mat: {
      linkCodeId: linkCode.id,
      received: received.map((r) => ({ vendor: r.vendor, event: r.event, count: r.count })),
      resent: { accepted: resentPurchases.accepted, duplicates: resentPurchases.duplicates },
      ignored: limited.ignored,
      link: { id: matLink.id, name: matLink.name, population: matLink.population },
    },
    reactions: { accepted: recorded.accepted, notQualifyingPlays: recorded.notQualifyingPlays },
    adResponse: { id: adResponse.id, name: adResponse.name, population: adResponse.population },
    lookalike,
    adGroup: { id: retargeting.id, name: retargeting.name },
    reach: { base: reach.base.people, included: reach.included, excluded: reach.excluded, reach: reach.reach },
    usage: usage.map((u) => ({ type: u.type, id: u.id, name: u.name, role: u.role, campaign: u.campaign?.name ?? null })),
    refusedDelete: { status: refused.status, detail: refused.body?.detail },
    targets,
  };
}
