/**
 * Deterministic generators of realistic demo data (seeded: the same seed gives the same data):
 * partner prospect files (Korean names and cities, ages, incomes, interests, contact details) and an
 * advertiser's first-party people (ADIDs, app user ids, 010 mobile numbers, emails). Streams rows, so
 * any size fits in constant memory; the demo and the benchmarks use them.
 */
import { Readable } from 'node:stream';

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES: [string, string, number][] = [
  ['Seoul', '서울특별시', 30],
  ['Busan', '부산광역시', 11],
  ['Incheon', '인천광역시', 10],
  ['Daegu', '대구광역시', 8],
  ['Daejeon', '대전광역시', 5],
  ['Gwangju', '광주광역시', 5],
  ['Suwon', '경기도', 9],
  ['Ulsan', '울산광역시', 4],
  ['Changwon', '경상남도', 4],
  ['Jeju', '제주특별자치도', 2],
];
const SURNAMES = ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임', '한', '오', '서', '신', '권', '황'];
const GIVEN = ['민준', '서연', '도윤', '서윤', '예준', '지우', '하준', '하은', '주원', '지민', '지호', '수아', '준서', '지유', '현우', '채원', '유진', '은서'];
const INTERESTS = ['travel', 'golf', 'beauty', 'fashion', 'cars', 'finance', 'games', 'food', 'outdoor', 'parenting', 'fitness', 'kpop'];
const OCCUPATIONS = ['office worker', 'self-employed', 'student', 'public servant', 'engineer', 'teacher', 'homemaker', 'retired'];
const EDUCATION = ['high school', 'college', 'bachelor', 'master', 'doctorate'];

/** Columns of the generated file: schema field paths, so no mapping is needed. */
export const PROSPECT_COLUMNS = [
  'partnerID',
  'person.name.lastName',
  'person.name.firstName',
  'person.name.fullName',
  'person.gender',
  'person.birthYear',
  'personalEmail.address',
  'mobilePhone.number',
  'homeAddress.city',
  'homeAddress.region',
  'homeAddress.postalCode',
  'homeAddress.countryCode',
  'consumer.age',
  'consumer.ageRange',
  'consumer.income',
  'consumer.householdSize',
  'consumer.maritalStatus',
  'consumer.education',
  'consumer.occupation',
  'consumer.interests',
  'consumer.homeOwner',
  'consumer.carOwner',
  'consumer.lastPurchaseDate',
] as const;

function pickWeighted<T>(rand: () => number, items: [T, ...unknown[]][], weights: number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i];
    if (r <= 0) return items[i][0];
  }
  return items[items.length - 1][0];
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One CSV row (no newline) for prospect number `i`. */
export function prospectRow(rand: () => number, i: number, vendor = 'ACME'): string {
  return prospectCells(rand, i, vendor).map(csvCell).join(',');
}

/** The values of prospect number `i`, in PROSPECT_COLUMNS order. */
function prospectCells(rand: () => number, i: number, vendor: string): string[] {
  const cityIndex = CITIES.indexOf(pickWeighted(rand, CITIES.map((c) => [c]), CITIES.map((c) => c[2])));
  const [city, region] = CITIES[cityIndex];
  const last = SURNAMES[Math.floor(rand() * SURNAMES.length)];
  const first = GIVEN[Math.floor(rand() * GIVEN.length)];
  const age = 20 + Math.floor(rand() * 50);
  const interests = INTERESTS.filter(() => rand() < 0.25).slice(0, 4);
  const income = Math.round((2000 + rand() * 10000) * 10000);
  const lastPurchase = new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 320) * 86_400_000).toISOString().slice(0, 10);
  const cells = [
    `${vendor}-${String(i).padStart(8, '0')}`,
    last,
    first,
    `${last}${first}`,
    rand() < 0.5 ? 'female' : 'male',
    String(2026 - age),
    `prospect${i}@example.com`,
    `010-${String(1000 + Math.floor(rand() * 9000))}-${String(1000 + Math.floor(rand() * 9000))}`,
    city,
    region,
    String(10000 + Math.floor(rand() * 53000)),
    'KR',
    String(age),
    `${Math.floor(age / 10) * 10}s`,
    String(income),
    String(1 + Math.floor(rand() * 5)),
    rand() < 0.55 ? 'married' : 'single',
    EDUCATION[Math.floor(rand() * EDUCATION.length)],
    OCCUPATIONS[Math.floor(rand() * OCCUPATIONS.length)],
    JSON.stringify(interests),
    String(rand() < 0.6),
    String(rand() < 0.5),
    lastPurchase,
  ];
  return cells;
}

/** A streamed CSV of `rows` prospects with a header of field paths. */
export function prospectCsvStream(rows: number, seed = 42, vendor = 'ACME'): Readable {
  const rand = prng(seed);
  let i = 0;
  let header = true;
  return new Readable({
    read() {
      let chunk = header ? PROSPECT_COLUMNS.join(',') + '\n' : '';
      header = false;
      while (i < rows && chunk.length < 64 * 1024) chunk += prospectRow(rand, ++i, vendor) + '\n';
      if (chunk) this.push(chunk);
      if (i >= rows) this.push(null);
    },
  });
}

/**
 * Rows a partner's file carries now and then, each refused with its own row error (the batch loads
 * the rest): a malformed email, a birth year that is not a number, no partner id. Numbered after
 * the `rows` good ones of prospectCsvStream.
 */
export function flawedProspectRows(after: number, vendor = 'ACME'): string[] {
  const rand = prng(after);
  const flaws: [column: (typeof PROSPECT_COLUMNS)[number], value: string][] = [
    ['personalEmail.address', 'prospect@@example'],
    ['person.birthYear', '19x0'],
    ['partnerID', ''],
  ];
  return flaws.map(([column, value], k) => {
    const cells = prospectCells(rand, after + k + 1, vendor);
    cells[PROSPECT_COLUMNS.indexOf(column)] = value;
    return cells.map(csvCell).join(',');
  });
}

// ---- first-party people ------------------------------------------------------------------------

const SURNAMES_ROMAN = ['kim', 'lee', 'park', 'choi', 'jung', 'kang', 'cho', 'yoon', 'jang', 'lim', 'han', 'oh', 'seo', 'shin', 'kwon', 'hwang'];
const GIVEN_ROMAN = ['minjun', 'seoyeon', 'doyun', 'seoyun', 'yejun', 'jiwoo', 'hajun', 'haeun', 'juwon', 'jimin', 'jiho', 'sua', 'junseo', 'jiyu', 'hyunwoo', 'chaewon', 'yujin', 'eunseo'];
const MAIL_DOMAINS: [string, number][] = [
  ['naver.com', 45],
  ['gmail.com', 25],
  ['daum.net', 12],
  ['kakao.com', 10],
  ['hanmail.net', 8],
];
/** Share of people with a second device (a second ADID on another record with the same app user, phone and email). */
const SECOND_DEVICE_SHARE = 0.12;

/** One person of an advertiser's first-party data (a CRM / app user export). */
export interface FirstPartyPerson {
  /** 1-based number of the person in the generated set. */
  n: number;
  name: string;
  /** GAID/IDFA of each of the person's devices (lowercase UUID v4); one or two. */
  adids: string[];
  /** Kakao app user id of the advertiser's app (a positive integer, as a string). */
  appUserId: string;
  /** Korean mobile number as advertisers store it: 010-xxxx-xxxx. */
  phone: string;
  email: string;
}

/** A random (v4-shaped) advertising id, lowercase with hyphens, from the seeded PRNG. */
export function randomAdid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + Math.floor(rand() * 4)).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * People 1…count, deterministic for a seed. Phone numbers, app user ids and emails are distinct by
 * construction (bijections of the person number), so two generated people never share an identity
 * and the universe holds exactly one person per generated person.
 */
export function* firstPartyPeople(count: number, seed = 11): Generator<FirstPartyPerson> {
  const rand = prng(seed);
  const phoneOffset = Math.floor(rand() * 79_700_000);
  const appMix = Math.floor(rand() * 0x7fffffff);
  for (let n = 1; n <= count; n++) {
    const s = Math.floor(rand() * SURNAMES.length);
    const g = Math.floor(rand() * GIVEN.length);
    // 7,368,787 is coprime with 79,700,000: n → k is one-to-one, so phones never repeat. The middle
    // part runs 2000–9999 without 5970–5999, which are not assigned (the phone validators refuse them).
    const k = (n * 7_368_787 + phoneOffset) % 79_700_000;
    const middle = 2000 + Math.floor(k / 10_000);
    const phone = `010-${middle >= 5970 ? middle + 30 : middle}-${String(k % 10_000).padStart(4, '0')}`;
    // xor and multiplication by an odd number are both one-to-one on 32-bit integers.
    const appUserId = String(1_000_000_000 + (Math.imul(n ^ appMix, 0x9e3779b1) >>> 0));
    const domain = pickWeighted(rand, MAIL_DOMAINS, MAIL_DOMAINS.map((d) => d[1]));
    const adids = [randomAdid(rand)];
    if (rand() < SECOND_DEVICE_SHARE) adids.push(randomAdid(rand));
    yield { n, name: `${SURNAMES[s]}${GIVEN[g]}`, adids, appUserId, phone, email: `${GIVEN_ROMAN[g]}.${SURNAMES_ROMAN[s]}${n}@${domain}` };
  }
}

/** Columns of the first-party file: field paths of an Individual Profile schema with mobile identifiers and contact details. */
export const FIRST_PARTY_COLUMNS = ['mobileIdentifiers.adid', 'mobileIdentifiers.appUserId', 'mobilePhone.number', 'personalEmail.address'] as const;

/**
 * The Individual Profile schema whose fields the first-party file fills (a `POST /v1/schemas`
 * body): ADID primary, app user id, mobile and email as further identities.
 */
export function firstPartySchemaBody(title: string) {
  return {
    title,
    classId: 'xdm:individual-profile',
    fieldGroupIds: ['fg:mobile-identifiers', 'fg:personal-contact'],
    identities: [
      { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: true },
      { fieldPath: 'mobileIdentifiers.appUserId', namespace: 'AppUserId', primary: false },
      { fieldPath: 'mobilePhone.number', namespace: 'Phone', primary: false },
      { fieldPath: 'personalEmail.address', namespace: 'Email', primary: false },
    ],
  };
}

/** One CSV record per device of each person (a person with two devices has two records sharing the other identities). */
export function firstPartyRows(person: FirstPartyPerson): string[] {
  return person.adids.map((adid) => [adid, person.appUserId, person.phone, person.email].map(csvCell).join(','));
}

/** A streamed CSV of the first-party people of `firstPartyPeople(count, seed)`, header of field paths. */
export function firstPartyCsvStream(count: number, seed = 11): Readable {
  const people = firstPartyPeople(count, seed);
  let header = true;
  return new Readable({
    read() {
      let chunk = header ? FIRST_PARTY_COLUMNS.join(',') + '\n' : '';
      header = false;
      let done = false;
      while (chunk.length < 64 * 1024) {
        const next = people.next();
        if (next.done) {
          done = true;
          break;
        }
        chunk += firstPartyRows(next.value).join('\n') + '\n';
      }
      if (chunk) this.push(chunk);
      if (done) this.push(null);
    },
  });
}
