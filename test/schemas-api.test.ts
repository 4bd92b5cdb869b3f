/** Schemas over HTTP: classes, field groups, composition, identity rules, enable for profile, additive-only. */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let admin: ReturnType<TestApi['as']>;
let partnerNs: { id: string; code: string };

const PROSPECT = 'xdm:individual-prospect-profile';
const PROFILE = 'xdm:individual-profile';

beforeAll(async () => {
  api = await startTestApi();
  admin = api.as(api.adminToken);
  const ns = await admin.post('/v1/namespaces', { name: 'Acme Data Partner ID', code: 'AcmePID', type: 'partner_id' }).expect(201);
  partnerNs = ns.body;
});
afterAll(async () => api.close());

let counter = 0;
const uniqueTitle = (base: string) => `${base} ${++counter}`;

async function prospectSchema(extra: Record<string, unknown> = {}) {
  const res = await admin
    .post('/v1/schemas', {
      title: uniqueTitle('Acme prospects'),
      classId: PROSPECT,
      fieldGroupIds: ['fg:person-details', 'fg:consumer-demographics'],
      identities: [{ fieldPath: 'partnerID', namespace: 'AcmePID', primary: true }],
      ...extra,
    })
    .expect(201);
  return res.body as Record<string, any>;
}

describe('classes and standard field groups', () => {
  it('lists both classes with their preconfigured fields', async () => {
    const res = await admin.get('/v1/classes').expect(200);
    expect(res.body.items.map((c: any) => [c.id, c.kind])).toEqual([
      [PROSPECT, 'prospect'],
      [PROFILE, 'first_party'],
    ]);
    const one = await admin.get(`/v1/classes/${PROSPECT}`).expect(200);
    expect(one.body.definition.partnerID.description).toMatch(/pseudonymous/);
    expect(one.body.fields.find((f: any) => f.path === '_repo.createDate')).toMatchObject({ system: true, format: 'date-time' });
    expectProblem(await admin.get('/v1/classes/xdm:nope'), 404);
  });

  it('lists field groups meant for a class', async () => {
    const all = await admin.get('/v1/field-groups').expect(200);
    expect(all.body.items.map((g: any) => g.id)).toEqual(
      expect.arrayContaining(['fg:person-details', 'fg:personal-contact', 'fg:home-address', 'fg:consumer-demographics', 'fg:mobile-identifiers']),
    );
    const prospect = await admin.get(`/v1/field-groups?classId=${PROSPECT}`).expect(200);
    expect(prospect.body.items.map((g: any) => g.id)).not.toContain('fg:mobile-identifiers');
    const fg = await admin.get('/v1/field-groups/fg:consumer-demographics').expect(200);
    expect(fg.body).toMatchObject({ standard: true, intendedToExtend: [PROSPECT, PROFILE] });
    expect(fg.body.definition.consumer.properties.interests).toMatchObject({ type: 'array', items: { type: 'string' } });
  });
});

describe('prospect schema lifecycle', () => {
  it('creates a prospect schema with partnerID as primary identity and returns the composed document', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];
    expect(id).toMatch(/^sch_/);
    expect(doc).toMatchObject({
      id,
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `urn:cdp:schemas:${id}`,
      type: 'object',
      'meta:class': PROSPECT,
      'meta:extends': [PROSPECT, 'fg:person-details', 'fg:consumer-demographics'],
      'meta:version': 1,
    });
    expect(doc['meta:immutableTags']).toBeUndefined();
    expect(doc.allOf).toEqual([{ $ref: `#/$defs/${PROSPECT}` }, { $ref: '#/$defs/fg:person-details' }, { $ref: '#/$defs/fg:consumer-demographics' }]);
    expect(doc.$defs[PROSPECT].properties.partnerID.type).toBe('string');
    expect(doc.$defs['fg:person-details']['meta:intendedToExtend']).toContain(PROSPECT);
    expect(doc['meta:identityDescriptors']).toEqual([
      expect.objectContaining({ sourceSchema: doc.$id, sourceProperty: '/partnerID', namespace: 'AcmePID', isPrimary: true }),
    ]);

    const again = await admin.get(`/v1/schemas/${id}`).expect(200);
    expect(again.body).toEqual(doc);

    const full = await admin.get(`/v1/schemas/${id}?full=true`).expect(200);
    expect(full.body.allOf).toBeUndefined();
    expect(full.body.properties.person.properties.name.properties.firstName.type).toBe('string');
    expect(full.body.properties.consumer.properties.age).toMatchObject({ type: 'integer', 'meta:xdmType': 'short' });
    expect(full.body.properties._repo.properties.createDate['meta:system']).toBe(true);

    const fields = await admin.get(`/v1/schemas/${id}/fields`).expect(200);
    const byPath = new Map(fields.body.items.map((f: any) => [f.path, f]));
    expect(byPath.get('partnerID')).toMatchObject({ type: 'string', source: PROSPECT, system: false, identity: { namespace: 'AcmePID', primary: true } });
    expect(byPath.get('consumer.interests')).toMatchObject({ type: 'array', itemType: 'string', source: 'fg:consumer-demographics' });
    expect(byPath.get('modifiedByBatchID')).toMatchObject({ system: true });

    const list = await admin.get('/v1/schemas').expect(200);
    expect(list.body.items.find((s: any) => s.id === id)).toMatchObject({ classId: PROSPECT, kind: 'prospect', profileEnabled: false, version: 1 });
  });

  it('enables for profile (one-way), then allows only additive changes', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];

    const enabled = await admin.post(`/v1/schemas/${id}/enable-profile`).expect(200);
    expect(enabled.body['meta:immutableTags']).toEqual(['union']);
    expect(enabled.body['meta:version']).toBe(2);
    // enabling again changes nothing
    expect((await admin.post(`/v1/schemas/${id}/enable-profile`, {}).expect(200)).body['meta:version']).toBe(2);

    const off = expectProblem(await admin.post(`/v1/schemas/${id}/enable-profile`, { enabled: false }), 422);
    expect(off.errors[0]).toMatchObject({ pointer: '/enabled', rule: 'one-way' });
    const offPatch = expectProblem(await admin.patch(`/v1/schemas/${id}`, { profileEnabled: false }), 422);
    expect(offPatch.errors[0]).toMatchObject({ pointer: '/profileEnabled', rule: 'one-way' });

    const removal = expectProblem(await admin.patch(`/v1/schemas/${id}`, { fieldGroupIds: ['fg:person-details'] }), 422);
    expect(removal.errors[0]).toMatchObject({ pointer: '/fieldGroupIds', rule: 'additive-only' });
    expect(removal.detail).toContain('fg:consumer-demographics');

    const added = await admin
      .patch(`/v1/schemas/${id}`, { title: `${doc.title} (v2)`, fieldGroupIds: ['fg:person-details', 'fg:consumer-demographics', 'fg:home-address'] })
      .expect(200);
    expect(added.body['meta:extends']).toContain('fg:home-address');
    expect(added.body['meta:version']).toBe(3);
    expect(added.body.title).toBe(`${doc.title} (v2)`);

    const primary = expectProblem(await admin.post(`/v1/schemas/${id}/identities`, { fieldPath: '_id', namespace: 'AcmePID', primary: true }), 422);
    expect(primary.errors[0]).toMatchObject({ pointer: '/primary', rule: 'additive-only' });
    const descriptorId = added.body['meta:identityDescriptors'][0].id;
    const dropPrimary = expectProblem(await admin.delete(`/v1/schemas/${id}/identities/${descriptorId}`), 422);
    expect(dropPrimary.errors[0].rule).toBe('additive-only');
    // a secondary identity is an additive change
    const secondary = await admin.post(`/v1/schemas/${id}/identities`, { fieldPath: '_id', namespace: partnerNs.id }).expect(201);
    expect(secondary.body).toMatchObject({ fieldPath: '_id', namespace: 'AcmePID', isPrimary: false, sourceProperty: '/_id' });

    const classChange = expectProblem(await admin.patch(`/v1/schemas/${id}`, { classId: PROFILE }), 422);
    expect(classChange.errors[0]).toMatchObject({ pointer: '/classId', rule: 'immutable' });

    const del = expectProblem(await admin.delete(`/v1/schemas/${id}`), 409);
    expect(del.detail).toMatch(/enabled for profile.*datasets/);
  });

  it('needs exactly one primary identity to enable, which can be added later', async () => {
    const doc = await prospectSchema({ identities: [] });
    const id = doc['meta:altId'];
    const refused = expectProblem(await admin.post(`/v1/schemas/${id}/enable-profile`), 422);
    expect(refused.errors[0].rule).toBe('primary-identity');
    expect(refused.detail).toContain('partnerID');
    const d = await admin.post(`/v1/schemas/${id}/identities`, { fieldPath: 'partnerID', namespace: 'AcmePID', primary: true }).expect(201);
    expect(d.body.isPrimary).toBe(true);
    const ids = await admin.get(`/v1/schemas/${id}/identities`).expect(200);
    expect(ids.body.items).toHaveLength(1);
    const enabled = await admin.patch(`/v1/schemas/${id}`, { profileEnabled: true }).expect(200);
    expect(enabled.body['meta:immutableTags']).toEqual(['union']);
    expect(enabled.body['meta:version']).toBe(3);
  });

  it('deletes a schema that is not enabled, with its identity descriptors', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];
    await admin.delete(`/v1/schemas/${id}`).expect(204);
    expectProblem(await admin.get(`/v1/schemas/${id}`), 404);
    expect(await api.db('identity_descriptors').where({ schema_id: id })).toEqual([]);
  });
});

describe('identity rules', () => {
  it('refuses the Email namespace on a prospect schema, naming the field', async () => {
    const body = expectProblem(
      await admin.post('/v1/schemas', {
        title: uniqueTitle('Prospects with email'),
        classId: PROSPECT,
        fieldGroupIds: ['fg:personal-contact'],
        identities: [
          { fieldPath: 'partnerID', namespace: 'AcmePID', primary: true },
          { fieldPath: 'personalEmail.address', namespace: 'Email' },
        ],
      }),
      422,
    );
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/identities/1/namespace', rule: 'prospect-partner-id' })]);
    expect(body.errors[0].message).toContain('personalEmail.address');
    expect(body.errors[0].message).toMatch(/Partner ID/);

    const doc = await prospectSchema({ fieldGroupIds: ['fg:personal-contact'] });
    const later = expectProblem(await admin.post(`/v1/schemas/${doc['meta:altId']}/identities`, { fieldPath: 'personalEmail.address', namespace: 'Email' }), 422);
    expect(later.errors[0]).toMatchObject({ pointer: '/namespace', rule: 'prospect-partner-id' });
  });

  it('refuses a Partner ID namespace as primary identity of a first-party schema, allows it as secondary', async () => {
    const base = { classId: PROFILE, fieldGroupIds: ['fg:personal-contact', 'fg:mobile-identifiers'] };
    const body = expectProblem(
      await admin.post('/v1/schemas', { ...base, title: uniqueTitle('Customers'), identities: [{ fieldPath: '_id', namespace: 'AcmePID', primary: true }] }),
      422,
    );
    expect(body.errors[0]).toMatchObject({ pointer: '/identities/0/namespace', rule: 'partner-id-primary' });
    expect(body.errors[0].message).toContain('_id');

    const ok = await admin
      .post('/v1/schemas', {
        ...base,
        title: uniqueTitle('Customers'),
        identities: [
          { fieldPath: 'personalEmail.address', namespace: 'Email', primary: true },
          { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID' },
          { fieldPath: '_id', namespace: 'AcmePID' },
        ],
      })
      .expect(201);
    expect(ok.body['meta:identityDescriptors'].map((d: any) => [d.namespace, d.isPrimary])).toEqual([
      ['Email', true],
      ['GAID', false],
      ['AcmePID', false],
    ]);
  });

  it('refuses two primaries, unknown fields, non-string fields, system fields and unknown namespaces at once', async () => {
    const body = expectProblem(
      await admin.post('/v1/schemas', {
        title: uniqueTitle('Broken'),
        classId: PROSPECT,
        fieldGroupIds: ['fg:consumer-demographics'],
        identities: [
          { fieldPath: 'partnerID', namespace: 'AcmePID', primary: true },
          { fieldPath: '_id', namespace: 'AcmePID', primary: true },
          { fieldPath: 'nope.field', namespace: 'AcmePID' },
          { fieldPath: 'consumer.age', namespace: 'AcmePID' },
          { fieldPath: 'createdByBatchID', namespace: 'AcmePID' },
          { fieldPath: 'consumer.occupation', namespace: 'NoSuchNamespace' },
        ],
      }),
      422,
    );
    expect(body.errors).toEqual([
      expect.objectContaining({ pointer: '/identities/1/primary', rule: 'one-primary' }),
      expect.objectContaining({ pointer: '/identities/2/fieldPath', rule: 'identity-field' }),
      expect.objectContaining({ pointer: '/identities/3/fieldPath', rule: 'identity-field' }),
      expect.objectContaining({ pointer: '/identities/4/fieldPath', rule: 'identity-field' }),
      expect.objectContaining({ pointer: '/identities/5/namespace', rule: 'namespace' }),
    ]);
    expect(body.errors[2].message).toContain('consumer.age');
  });

  it('refuses field groups not meant for the class and unknown classes', async () => {
    const body = expectProblem(
      await admin.post('/v1/schemas', { title: uniqueTitle('X'), classId: PROSPECT, fieldGroupIds: ['fg:person-details', 'fg:mobile-identifiers', 'fg_missing'] }),
      422,
    );
    expect(body.errors).toEqual([
      expect.objectContaining({ pointer: '/fieldGroupIds/1', rule: 'intended-class' }),
      expect.objectContaining({ pointer: '/fieldGroupIds/2', rule: 'field-group' }),
    ]);
    const cls = expectProblem(await admin.post('/v1/schemas', { title: uniqueTitle('X'), classId: 'xdm:experience-event' }), 422);
    expect(cls.errors[0]).toMatchObject({ pointer: '/classId', rule: 'class' });
  });

  it('keeps titles unique per account', async () => {
    const doc = await prospectSchema();
    const dup = expectProblem(await admin.post('/v1/schemas', { title: doc.title.toUpperCase(), classId: PROSPECT }), 409);
    expect(dup.errors[0].pointer).toBe('/title');
  });
});

describe('custom field groups', () => {
  const loyalty = {
    loyalty: {
      type: 'object',
      properties: {
        tier: { type: 'string', enum: ['gold', 'silver'] },
        points: { type: 'integer', 'meta:xdmType': 'int', minimum: 0 },
      },
    },
  };

  it('validates definitions against the meta-schema with pointers', async () => {
    const shape = expectProblem(
      await admin.post('/v1/field-groups', {
        title: uniqueTitle('Bad'),
        intendedToExtend: [PROSPECT],
        definition: { 'shoe-size': { type: 'integer' }, ok: { type: 'object', properties: { x: { type: 'number', format: 'email' } } } },
      }),
      400,
    );
    expect(shape.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/definition/shoe-size', rule: 'field-name' }),
        expect.objectContaining({ pointer: '/definition/ok/properties/x/format', rule: 'additionalProperties' }),
      ]),
    );
    const range = expectProblem(
      await admin.post('/v1/field-groups', { title: uniqueTitle('Bad'), intendedToExtend: [PROSPECT], definition: { n: { type: 'integer', 'meta:xdmType': 'short', maximum: 40000 } } }),
      400,
    );
    expect(range.errors[0]).toMatchObject({ pointer: '/definition/n/maximum', rule: 'maximum' });
    const rule = expectProblem(
      await admin.post('/v1/field-groups', { title: uniqueTitle('Bad'), intendedToExtend: [PROSPECT], definition: { n: { type: 'number', minimum: 2, maximum: 1 } } }),
      422,
    );
    expect(rule.errors[0]).toMatchObject({ pointer: '/definition/n/minimum', rule: 'range' });
    const cls = expectProblem(await admin.post('/v1/field-groups', { title: uniqueTitle('Bad'), intendedToExtend: ['xdm:nope'], definition: loyalty }), 422);
    expect(cls.errors[0]).toMatchObject({ pointer: '/intendedToExtend/0', rule: 'class' });
    const std = expectProblem(await admin.post('/v1/field-groups', { title: 'person details', intendedToExtend: [PROSPECT], definition: loyalty }), 409);
    expect(std.detail).toContain('fg:person-details');
    expectProblem(await admin.patch('/v1/field-groups/fg:person-details', { title: 'Mine' }), 422);
    expectProblem(await admin.delete('/v1/field-groups/fg:person-details'), 422);
  });

  it('are used by schemas, grow additively once a profile-enabled schema uses them, and cannot be deleted while used', async () => {
    const created = await admin
      .post('/v1/field-groups', { title: uniqueTitle('Loyalty'), description: 'Vendor loyalty data', intendedToExtend: [PROSPECT], definition: loyalty })
      .expect(201);
    const fgId = created.body.id;
    expect(fgId).toMatch(/^fg_/);
    expect(created.body.definition.loyalty.properties.points['meta:xdmType']).toBe('int');
    const dupTitle = expectProblem(await admin.post('/v1/field-groups', { title: created.body.title, intendedToExtend: [PROSPECT], definition: loyalty }), 409);
    expect(dupTitle.errors[0].pointer).toBe('/title');

    const doc = await prospectSchema({ fieldGroupIds: ['fg:person-details', fgId] });
    const id = doc['meta:altId'];
    expect(doc.$defs[fgId].properties.loyalty.properties.tier.enum).toEqual(['gold', 'silver']);

    // Not yet enabled: fields may change freely.
    await admin
      .patch(`/v1/field-groups/${fgId}`, { definition: { loyalty: { type: 'object', properties: { ...loyalty.loyalty.properties, since: { type: 'string', format: 'date' } } } } })
      .expect(200);
    expect((await admin.get(`/v1/schemas/${id}`).expect(200)).body['meta:version']).toBe(2);

    await admin.post(`/v1/schemas/${id}/enable-profile`).expect(200); // version 3

    const grown = {
      loyalty: {
        type: 'object',
        properties: { ...loyalty.loyalty.properties, since: { type: 'string', format: 'date' }, lastVisit: { type: 'string', format: 'date-time' } },
      },
    };
    const patched = await admin.patch(`/v1/field-groups/${fgId}`, { definition: grown, description: 'v2' }).expect(200);
    expect(patched.body.version).toBe(3);
    const after = await admin.get(`/v1/schemas/${id}/fields`).expect(200);
    expect(after.body.items.find((f: any) => f.path === 'loyalty.lastVisit')).toMatchObject({ format: 'date-time', source: fgId });
    expect((await admin.get(`/v1/schemas/${id}`).expect(200)).body['meta:version']).toBe(4);

    const removed = expectProblem(await admin.patch(`/v1/field-groups/${fgId}`, { definition: { loyalty: { type: 'object', properties: { tier: { type: 'string', enum: ['gold', 'silver'] } } } } }), 422);
    expect(removed.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/definition/loyalty/properties/points', rule: 'additive-only' })]),
    );
    expect(removed.errors[0].message).toContain('loyalty.points');
    const retyped = expectProblem(
      await admin.patch(`/v1/field-groups/${fgId}`, {
        definition: { loyalty: { type: 'object', properties: { ...grown.loyalty.properties, points: { type: 'number' } } } },
      }),
      422,
    );
    expect(retyped.errors[0]).toMatchObject({ pointer: '/definition/loyalty/properties/points', rule: 'additive-only' });
    expect(retyped.errors[0].message).toMatch(/integer \(int\) to number/);

    const inUse = expectProblem(await admin.delete(`/v1/field-groups/${fgId}`), 409);
    expect(inUse.detail).toContain(id);
    const used = await admin.get(`/v1/field-groups/${fgId}`).expect(200);
    expect(used.body.usedBy).toEqual([expect.objectContaining({ id, profileEnabled: true })]);

    const unused = await admin.post('/v1/field-groups', { title: uniqueTitle('Temp'), intendedToExtend: [PROSPECT, PROFILE], definition: { temp: { type: 'boolean' } } }).expect(201);
    await admin.delete(`/v1/field-groups/${unused.body.id}`).expect(204);
    expectProblem(await admin.get(`/v1/field-groups/${unused.body.id}`), 404);
  });

  it('refuses a composition where a leaf is defined twice with another type, naming the path', async () => {
    const clash = await admin
      .post('/v1/field-groups', { title: uniqueTitle('Vendor ages'), intendedToExtend: [PROSPECT], definition: { consumer: { type: 'object', properties: { age: { type: 'string' } } } } })
      .expect(201);
    const body = expectProblem(
      await admin.post('/v1/schemas', { title: uniqueTitle('Clash'), classId: PROSPECT, fieldGroupIds: ['fg:consumer-demographics', clash.body.id] }),
      422,
    );
    expect(body.errors[0]).toMatchObject({ pointer: '/fieldGroupIds/1', rule: 'field-conflict' });
    expect(body.errors[0].message).toContain('consumer.age');

    // A change of a used group that would clash inside a schema is refused too.
    const other = await admin.post('/v1/field-groups', { title: uniqueTitle('Extra'), intendedToExtend: [PROSPECT], definition: { extra: { type: 'string' } } }).expect(201);
    await prospectSchema({ fieldGroupIds: ['fg:consumer-demographics', other.body.id] });
    const change = expectProblem(
      await admin.patch(`/v1/field-groups/${other.body.id}`, { definition: { extra: { type: 'string' }, consumer: { type: 'object', properties: { income: { type: 'string' } } } } }),
      422,
    );
    expect(change.errors[0]).toMatchObject({ pointer: '/definition/consumer/properties/income', rule: 'field-conflict' });
  });

  it('refuses removing a field group that holds an identity field', async () => {
    const pid = await admin.post('/v1/field-groups', { title: uniqueTitle('Vendor ids'), intendedToExtend: [PROSPECT], definition: { vendor: { type: 'object', properties: { key: { type: 'string' } } } } }).expect(201);
    const doc = await prospectSchema({
      fieldGroupIds: [pid.body.id],
      identities: [
        { fieldPath: 'partnerID', namespace: 'AcmePID', primary: true },
        { fieldPath: 'vendor.key', namespace: 'AcmePID' },
      ],
    });
    const body = expectProblem(await admin.patch(`/v1/schemas/${doc['meta:altId']}`, { fieldGroupIds: [] }), 422);
    expect(body.errors[0]).toMatchObject({ pointer: '/fieldGroupIds', rule: 'identity-field' });
    expect(body.errors[0].message).toContain('vendor.key');
  });
});

describe('access', () => {
  it('answers 404 for another account\'s schemas and field groups', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];
    const fg = await admin.post('/v1/field-groups', { title: uniqueTitle('Private'), intendedToExtend: [PROSPECT], definition: { secret: { type: 'string' } } }).expect(201);
    const other = await api.otherAccount();
    const them = api.as(other.adminToken);
    expectProblem(await them.get(`/v1/schemas/${id}`), 404);
    expectProblem(await them.get(`/v1/schemas/${id}/fields`), 404);
    expectProblem(await them.patch(`/v1/schemas/${id}`, { title: 'mine' }), 404);
    expectProblem(await them.delete(`/v1/schemas/${id}`), 404);
    expectProblem(await them.post(`/v1/schemas/${id}/enable-profile`), 404);
    expectProblem(await them.get(`/v1/field-groups/${fg.body.id}`), 404);
    expectProblem(await them.delete(`/v1/field-groups/${fg.body.id}`), 404);
    const borrowed = expectProblem(await them.post('/v1/schemas', { title: 'Borrowed', classId: PROSPECT, fieldGroupIds: [fg.body.id] }), 422);
    expect(borrowed.errors[0]).toMatchObject({ pointer: '/fieldGroupIds/0', rule: 'field-group' });
    // Our Partner ID namespace does not exist over there.
    const ns = expectProblem(
      await them.post('/v1/schemas', { title: 'Theirs', classId: PROSPECT, identities: [{ fieldPath: 'partnerID', namespace: partnerNs.id, primary: true }] }),
      422,
    );
    expect(ns.errors[0]).toMatchObject({ pointer: '/identities/0/namespace', rule: 'namespace' });
    expect((await them.get('/v1/schemas').expect(200)).body.items).toEqual([]);
  });

  it('lets a marketer read but not write (403)', async () => {
    const doc = await prospectSchema();
    const marketer = api.as(await api.keyFor('marketer'));
    await marketer.get(`/v1/schemas/${doc['meta:altId']}`).expect(200);
    await marketer.get(`/v1/schemas/${doc['meta:altId']}/fields`).expect(200);
    await marketer.get('/v1/field-groups').expect(200);
    const denied = expectProblem(await marketer.post('/v1/schemas', { title: 'No', classId: PROSPECT }), 403);
    expect(denied.detail).toContain('schemas.write');
    expectProblem(await marketer.post(`/v1/schemas/${doc['meta:altId']}/enable-profile`), 403);
    expectProblem(await marketer.post('/v1/field-groups', { title: 'No', intendedToExtend: [PROSPECT], definition: { a: { type: 'string' } } }), 403);
    const engineer = api.as(await api.keyFor('data_engineer'));
    await engineer.post('/v1/schemas', { title: uniqueTitle('By engineer'), classId: PROSPECT }).expect(201);
  });

  it('audits schema, identity descriptor and field group changes', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];
    const log = await admin.get(`/v1/audit-log?resourceType=schema&resourceId=${id}`).expect(200);
    expect(log.body.items[0]).toMatchObject({ action: 'create', after: expect.objectContaining({ id, classId: PROSPECT }) });
    const descriptors = await admin.get('/v1/audit-log?resourceType=identity_descriptor').expect(200);
    expect(descriptors.body.items.some((e: any) => e.after?.fieldPath === 'partnerID')).toBe(true);
    const groups = await admin.get('/v1/audit-log?resourceType=field_group').expect(200);
    expect(groups.body.items.length).toBeGreaterThan(0);
  });
});

describe('record validator', () => {
  it('is compiled once per schema version and follows changes', async () => {
    const doc = await prospectSchema();
    const id = doc['meta:altId'];
    const caller = await api.runtime.services.accounts.authenticate(api.adminToken);
    const schemas = api.runtime.services.schemas;
    const v1 = await schemas.validator(caller, id);
    expect(await schemas.validator(caller, id)).toBe(v1);
    expect(v1({ partnerID: 'p-1', consumer: { age: 30, interests: ['golf'] } })).toBe(true);
    expect(v1({ partnerID: 'p-1', homeAddress: { city: 'Seoul' } })).toBe(false);
    expect(v1({ partnerID: 'p-1', consumer: { age: 70000 } })).toBe(false);

    await admin.patch(`/v1/schemas/${id}`, { fieldGroupIds: ['fg:person-details', 'fg:consumer-demographics', 'fg:home-address'] }).expect(200);
    const v2 = await schemas.validator(caller, id);
    expect(v2).not.toBe(v1);
    expect(v2({ partnerID: 'p-1', homeAddress: { city: 'Seoul' } })).toBe(true);

    const other = await api.otherAccount();
    const stranger = await api.runtime.services.accounts.authenticate(other.adminToken);
    await expect(schemas.validator(stranger, id)).rejects.toMatchObject({ status: 404 });
  });
});
