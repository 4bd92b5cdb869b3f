/**
 * A deterministic generator of realistic partner prospect files (seeded: the same seed gives the
 * same file): Korean names and cities, ages, incomes, interests, contact details. Streams rows, so
 * any size fits in constant memory; the demo and the benchmarks use it.
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
  return cells.map(csvCell).join(',');
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
