/** Pure schema logic: definitions, composition and conflicts, leaf listing, record validation and its cache. */
import { findClass, PROFILE_CLASS_ID, PROSPECT_CLASS_ID, XDM_CLASSES } from '../src/schemas/classes';
import {
  checkFieldDefinitions,
  compose,
  CompositionSource,
  listLeaves,
  nonAdditiveChanges,
  Properties,
  recordSchema,
  XDM_INTEGER_RANGES,
} from '../src/schemas/compose';
import { findStandardFieldGroup, STANDARD_FIELD_GROUPS } from '../src/schemas/field-groups';
import { compileRecordValidator, RecordValidatorCache, recordErrors, schemaHash } from '../src/schemas/validator';
import { isCdpError } from '../src/core/errors';

const prospect = findClass(PROSPECT_CLASS_ID)!;
const group = (id: string): CompositionSource => {
  const g = findStandardFieldGroup(id)!;
  return { id: g.id, properties: g.properties };
};
const classSource = { id: prospect.id, properties: prospect.properties };

function caught(fn: () => unknown): { status: number; errors: { pointer: string; rule: string; message: string }[]; message: string } {
  try {
    fn();
  } catch (err) {
    if (!isCdpError(err)) throw err;
    return { status: err.status, errors: (err.extras.errors ?? []) as never, message: err.message };
  }
  throw new Error('expected an error');
}

describe('classes and standard field groups', () => {
  it('ship the prospect class with Adobe\'s preconfigured fields and system markers', () => {
    const leaves = listLeaves(prospect.properties, new Map(), prospect.id);
    expect(leaves.map((l) => l.path)).toEqual([
      '_id', 'partnerID', '_repo.createDate', '_repo.modifyDate', 'createdByBatchID', 'modifiedByBatchID', 'repositoryCreatedBy', 'repositoryLastModifiedBy',
    ]);
    const system = leaves.filter((l) => l.system).map((l) => l.path);
    expect(system).toEqual(['_repo.createDate', '_repo.modifyDate', 'createdByBatchID', 'modifiedByBatchID', 'repositoryCreatedBy', 'repositoryLastModifiedBy']);
    expect(leaves.find((l) => l.path === '_repo.createDate')).toMatchObject({ type: 'string', format: 'date-time', xdmType: 'date-time' });
    expect(leaves.find((l) => l.path === 'partnerID')?.description).toMatch(/pseudonymous/);
    expect(findClass(PROFILE_CLASS_ID)?.kind).toBe('first_party');
    expect(XDM_CLASSES.map((c) => c.kind)).toEqual(['prospect', 'first_party']);
  });

  it('declare the classes each standard group extends; mobile identifiers are first-party only', () => {
    for (const g of STANDARD_FIELD_GROUPS) expect(g['meta:intendedToExtend'].length).toBeGreaterThan(0);
    expect(findStandardFieldGroup('fg:mobile-identifiers')!['meta:intendedToExtend']).toEqual([PROFILE_CLASS_ID]);
    expect(findStandardFieldGroup('fg:consumer-demographics')!['meta:intendedToExtend']).toContain(PROSPECT_CLASS_ID);
  });

  it('standard groups pass the same meta-schema as custom ones (minus the class-only meta:system)', () => {
    for (const g of STANDARD_FIELD_GROUPS) expect(() => checkFieldDefinitions(g.properties)).not.toThrow();
  });
});

describe('composition', () => {
  it('merges class and groups and lists every leaf with its source, type and xdmType', () => {
    const c = compose([classSource, group('fg:person-details'), group('fg:consumer-demographics'), group('fg:personal-contact')]);
    expect(c.conflicts).toEqual([]);
    const leaves = listLeaves(c.properties, c.sources);
    const by = new Map(leaves.map((l) => [l.path, l]));
    expect(by.get('person.name.firstName')).toMatchObject({ type: 'string', xdmType: 'string', source: 'fg:person-details', system: false });
    expect(by.get('person.birthYear')).toMatchObject({ type: 'integer', xdmType: 'short' });
    expect(by.get('person.gender')?.enum).toContain('female');
    expect(by.get('consumer.interests')).toMatchObject({ type: 'array', itemType: 'string', xdmType: 'array' });
    expect(by.get('personalEmail.address')).toMatchObject({ format: 'email' });
    expect(by.get('partnerID')).toMatchObject({ source: PROSPECT_CLASS_ID });
    expect(by.get('_repo.modifyDate')).toMatchObject({ system: true, source: PROSPECT_CLASS_ID });
    expect(leaves.some((l) => l.path === 'person' || l.path === 'person.name')).toBe(false);
  });

  it('merges objects defined by several groups', () => {
    const loyalty: CompositionSource = { id: 'fg_loyalty', properties: checkFieldDefinitions({ person: { type: 'object', properties: { loyaltyTier: { type: 'string' } } } }) };
    const c = compose([classSource, group('fg:person-details'), loyalty]);
    expect(c.conflicts).toEqual([]);
    const paths = listLeaves(c.properties, c.sources).map((l) => `${l.path}<${l.source}`);
    expect(paths).toEqual(expect.arrayContaining(['person.name.lastName<fg:person-details', 'person.loyaltyTier<fg_loyalty']));
  });

  it('reports a leaf defined twice with a different type, naming the path and both sources', () => {
    const clash: CompositionSource = { id: 'fg_clash', properties: checkFieldDefinitions({ consumer: { type: 'object', properties: { age: { type: 'string' } } } }) };
    const c = compose([classSource, group('fg:consumer-demographics'), clash]);
    expect(c.conflicts).toHaveLength(1);
    expect(c.conflicts[0]).toMatchObject({ path: 'consumer.age', sourceIndex: 2, firstSource: 'fg:consumer-demographics', secondSource: 'fg_clash' });
    expect(c.conflicts[0].message).toContain('consumer.age');
    expect(c.conflicts[0].message).toContain('integer (short)');
  });

  it('reports an object on one side and a leaf on the other', () => {
    const flat: CompositionSource = { id: 'fg_flat', properties: checkFieldDefinitions({ person: { type: 'object', properties: { name: { type: 'string' } } } }) };
    const c = compose([classSource, group('fg:person-details'), flat]);
    expect(c.conflicts.map((x) => x.path)).toEqual(['person.name']);
    const onClass: CompositionSource = { id: 'fg_pid', properties: checkFieldDefinitions({ partnerID: { type: 'integer' } }) };
    expect(compose([classSource, onClass]).conflicts[0]).toMatchObject({ path: 'partnerID', firstSource: PROSPECT_CLASS_ID });
  });

  it('accepts the same leaf twice when only titles differ, but not with other constraints', () => {
    const a: CompositionSource = { id: 'fg_a', properties: checkFieldDefinitions({ score: { type: 'integer', 'meta:xdmType': 'int', title: 'A' } }) };
    const b: CompositionSource = { id: 'fg_b', properties: checkFieldDefinitions({ score: { type: 'integer', 'meta:xdmType': 'int', title: 'B' } }) };
    const c: CompositionSource = { id: 'fg_c', properties: checkFieldDefinitions({ score: { type: 'integer', 'meta:xdmType': 'int', maximum: 10 } }) };
    expect(compose([classSource, a, b]).conflicts).toEqual([]);
    const bad = compose([classSource, a, c]).conflicts;
    expect(bad[0].message).toMatch(/score.*different constraints/);
  });
});

describe('custom field definitions (meta-schema)', () => {
  it('normalises meta:xdmType on every field', () => {
    const def = checkFieldDefinitions({
      loyalty: {
        type: 'object',
        properties: {
          points: { type: 'integer' },
          joined: { type: 'string', format: 'date' },
          seen: { type: 'string', 'meta:xdmType': 'date-time' },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
    });
    const p = def.loyalty.properties!;
    expect(p.points['meta:xdmType']).toBe('long');
    expect(p.joined['meta:xdmType']).toBe('date');
    expect(p.seen.format).toBe('date-time');
    expect(p.tags.items!['meta:xdmType']).toBe('string');
    expect(def.loyalty['meta:xdmType']).toBe('object');
  });

  it('rejects bad field names, unknown keywords and unknown types with pointers (400)', () => {
    const name = caught(() => checkFieldDefinitions({ 'bad-name': { type: 'string' } }));
    expect(name.status).toBe(400);
    expect(name.errors).toEqual([expect.objectContaining({ pointer: '/definition/bad-name', rule: 'field-name' })]);

    const kw = caught(() => checkFieldDefinitions({ x: { type: 'string', minimum: 1 } }));
    expect(kw.errors).toEqual([expect.objectContaining({ pointer: '/definition/x/minimum', rule: 'additionalProperties' })]);
    expect(kw.errors[0].message).toMatch(/not allowed on a string field/);

    const type = caught(() => checkFieldDefinitions({ a: { type: 'object', properties: { b: { type: 'strin' } } } }));
    expect(type.errors[0]).toMatchObject({ pointer: '/definition/a/properties/b/type', rule: 'enum' });

    const arr = caught(() => checkFieldDefinitions({ list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } } }));
    expect(arr.errors[0].pointer).toBe('/definition/list/items/type');
    expect(arr.errors[0].message).toMatch(/arrays of objects/);

    const fmt = caught(() => checkFieldDefinitions({ phone: { type: 'string', format: 'phone' } }));
    expect(fmt.errors[0]).toMatchObject({ pointer: '/definition/phone/format', rule: 'enum' });
    expect(caught(() => checkFieldDefinitions({})).errors[0].rule).toBe('minProperties');
  });

  it('holds integer bounds to the XDM range of meta:xdmType', () => {
    expect(() => checkFieldDefinitions({ n: { type: 'integer', 'meta:xdmType': 'byte', maximum: 128 } })).not.toThrow();
    const byte = caught(() => checkFieldDefinitions({ n: { type: 'integer', 'meta:xdmType': 'byte', maximum: 129 } }));
    expect(byte.errors[0]).toMatchObject({ pointer: '/definition/n/maximum', rule: 'maximum' });
    const int = caught(() => checkFieldDefinitions({ n: { type: 'integer', 'meta:xdmType': 'int', minimum: -3000000000 } }));
    expect(int.errors[0].pointer).toBe('/definition/n/minimum');
    const long = caught(() => checkFieldDefinitions({ n: { type: 'integer', maximum: 1e16 } }));
    expect(long.errors[0].pointer).toBe('/definition/n/maximum');
    expect(caught(() => checkFieldDefinitions({ n: { type: 'integer', 'meta:xdmType': 'huge' } })).errors[0].pointer).toBe('/definition/n/meta:xdmType');
  });

  it('refuses what the meta-schema cannot say with 422: depth, min > max, xdmType vs format', () => {
    let deep: Properties = { leaf: { type: 'string' } };
    for (let i = 0; i < 6; i++) deep = { [`l${i}`]: { type: 'object', properties: deep } };
    const d = caught(() => checkFieldDefinitions(deep));
    expect(d.status).toBe(422);
    expect(d.errors[0].rule).toBe('depth');
    expect(d.errors[0].pointer).toMatch(/^\/definition\/l5\/properties\/l4/);

    const r = caught(() => checkFieldDefinitions({ n: { type: 'number', minimum: 5, maximum: 1 } }));
    expect(r).toMatchObject({ status: 422, errors: [expect.objectContaining({ pointer: '/definition/n/minimum', rule: 'range' })] });

    const x = caught(() => checkFieldDefinitions({ d: { type: 'string', format: 'email', 'meta:xdmType': 'date' } }));
    expect(x.errors[0]).toMatchObject({ pointer: '/definition/d/meta:xdmType', rule: 'xdmType' });
  });
});

describe('additive changes', () => {
  const before = checkFieldDefinitions({ a: { type: 'string' }, o: { type: 'object', properties: { n: { type: 'integer', 'meta:xdmType': 'int' } } } });
  it('allows new fields and new titles', () => {
    const after = checkFieldDefinitions({
      a: { type: 'string', title: 'renamed' },
      b: { type: 'boolean' },
      o: { type: 'object', properties: { n: { type: 'integer', 'meta:xdmType': 'int' }, m: { type: 'string' } } },
    });
    expect(nonAdditiveChanges(before, after)).toEqual([]);
  });
  it('names removed and changed fields', () => {
    const after = checkFieldDefinitions({ o: { type: 'object', properties: { n: { type: 'integer', 'meta:xdmType': 'long' } } } });
    expect(nonAdditiveChanges(before, after)).toEqual([
      { path: 'a', message: 'Field a would be removed' },
      { path: 'o.n', message: 'Field o.n would change from integer (int) to integer (long)' },
    ]);
  });
});

describe('record validation', () => {
  const c = compose([classSource, group('fg:person-details'), group('fg:personal-contact'), group('fg:consumer-demographics')]);
  const validate = compileRecordValidator(recordSchema(c.properties));

  it('accepts a well-formed prospect record', () => {
    const ok = validate({
      partnerID: 'p-1',
      person: { name: { firstName: 'Ji-woo' }, birthDate: '1990-05-01', birthYear: 1990 },
      personalEmail: { address: 'a@example.com' },
      consumer: { age: 34, income: 52000.5, interests: ['golf', 'travel'], homeOwner: true, lastPurchaseDate: '2026-01-31' },
      _repo: { createDate: '2026-02-01T10:00:00Z' },
    });
    expect(recordErrors(validate)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects unknown fields at every level', () => {
    expect(validate({ partnerID: 'p', shoeSize: 42 })).toBe(false);
    expect(recordErrors(validate)).toEqual([expect.objectContaining({ pointer: '/shoeSize', rule: 'additionalProperties' })]);
    expect(validate({ person: { name: { nickname: 'x' } } })).toBe(false);
    expect(recordErrors(validate)[0].pointer).toBe('/person/name/nickname');
  });

  it('enforces types, formats and XDM integer ranges', () => {
    expect(validate({ personalEmail: { address: 'not-an-email' } })).toBe(false);
    expect(recordErrors(validate)[0]).toMatchObject({ pointer: '/personalEmail/address', rule: 'format' });
    expect(validate({ person: { birthDate: '1990-13-45' } })).toBe(false);
    expect(validate({ _repo: { createDate: 'yesterday' } })).toBe(false);
    expect(validate({ consumer: { age: 34.5 } })).toBe(false);
    expect(validate({ consumer: { interests: ['a', 3] } })).toBe(false);
    expect(recordErrors(validate)[0].pointer).toBe('/consumer/interests/1');
    expect(validate({ person: { gender: 'unknown' } })).toBe(false);

    const ints = compose([classSource, { id: 'fg_n', properties: checkFieldDefinitions({ b: { type: 'integer', 'meta:xdmType': 'byte' }, s: { type: 'integer', 'meta:xdmType': 'short' }, i: { type: 'integer', 'meta:xdmType': 'int' }, l: { type: 'integer' } }) }]);
    const v = compileRecordValidator(recordSchema(ints.properties));
    expect(v({ b: 128, s: -32768, i: 2147483648, l: Number.MAX_SAFE_INTEGER })).toBe(true);
    expect(v({ b: 129 })).toBe(false);
    expect(recordErrors(v)[0]).toMatchObject({ pointer: '/b', rule: 'maximum' });
    expect(v({ s: 40000 })).toBe(false);
    expect(v({ i: -2147483649 })).toBe(false);
    expect(v({ l: 2 ** 60 })).toBe(false);
    expect(XDM_INTEGER_RANGES.short).toEqual({ minimum: -32768, maximum: 32768 });
  });

  it('keeps a field\'s own narrower bounds (birthYear 1..32767)', () => {
    expect(validate({ person: { birthYear: 0 } })).toBe(false);
    expect(validate({ person: { birthYear: 32768 } })).toBe(false);
  });
});

describe('record validator cache', () => {
  const schemaV1 = recordSchema(compose([classSource]).properties);
  const schemaV2 = recordSchema(compose([classSource, group('fg:home-address')]).properties);

  it('compiles once per schema version and returns the same function', () => {
    const cache = new RecordValidatorCache();
    const key = { schemaId: 'sch_1', version: 1, hash: schemaHash(schemaV1) };
    const a = cache.get(key, () => schemaV1);
    const b = cache.get({ ...key }, () => schemaV1);
    expect(b).toBe(a);
    expect(cache.compilations).toBe(1);

    const c = cache.get({ schemaId: 'sch_1', version: 2, hash: schemaHash(schemaV2) }, () => schemaV2);
    expect(c).not.toBe(a);
    expect(cache.compilations).toBe(2);
    expect(c({ homeAddress: { city: 'Seoul' } })).toBe(true);
    expect(a({ homeAddress: { city: 'Seoul' } })).toBe(false);
    expect(cache.size).toBe(1); // older versions of the schema are dropped
  });

  it('compiles again when the composed document changes under the same version (hash)', () => {
    const cache = new RecordValidatorCache();
    const a = cache.get({ schemaId: 's', version: 1, hash: schemaHash(schemaV1) }, () => schemaV1);
    const b = cache.get({ schemaId: 's', version: 1, hash: schemaHash(schemaV2) }, () => schemaV2);
    expect(b).not.toBe(a);
  });

  it('evicts the least recently used schema beyond its capacity', () => {
    const cache = new RecordValidatorCache(2);
    const k = (id: string) => ({ schemaId: id, version: 1, hash: 'h' });
    const first = cache.get(k('a'), () => schemaV1);
    cache.get(k('b'), () => schemaV1);
    expect(cache.get(k('a'), () => schemaV1)).toBe(first); // touch a: b is now the oldest
    cache.get(k('c'), () => schemaV1);
    expect(cache.size).toBe(2);
    expect(cache.get(k('a'), () => schemaV1)).toBe(first);
    const before = cache.compilations;
    cache.get(k('b'), () => schemaV1);
    expect(cache.compilations).toBe(before + 1);
  });
});
