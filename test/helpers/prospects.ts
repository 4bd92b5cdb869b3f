/**
 * Builds the data model a data engineer sets up before loading partner files: a Partner ID
 * namespace, a prospect schema with partnerID as primary identity, and a profile-enabled dataset.
 */
import type { TestApi } from './harness';

export interface ProspectSetup {
  token: string;
  namespaceCode: string;
  schemaId: string;
  datasetId: string;
}

export const PROSPECT_FIELD_GROUPS = ['fg:person-details', 'fg:personal-contact', 'fg:home-address', 'fg:consumer-demographics'];

export async function setUpProspects(api: TestApi, tag: string, opts: { enable?: boolean; token?: string } = {}): Promise<ProspectSetup> {
  const token = opts.token ?? (await api.keyFor('data_engineer'));
  const as = api.as(token);
  const namespaceCode = `vendor${tag}`;
  await as.post('/v1/namespaces', { name: `Vendor ${tag} partner id`, code: namespaceCode, type: 'partner_id' }).expect(201);
  const schema = await as
    .post('/v1/schemas', {
      title: `Prospects ${tag}`,
      classId: 'xdm:individual-prospect-profile',
      fieldGroupIds: PROSPECT_FIELD_GROUPS,
      identities: [{ fieldPath: 'partnerID', namespace: namespaceCode, primary: true }],
    })
    .expect(201);
  await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
  const dataset = await as.post('/v1/datasets', { name: `Prospects ${tag}`, schemaId: schema.body.id }).expect(201);
  if (opts.enable !== false) await as.post(`/v1/datasets/${dataset.body.id}/enable-profile`, {}).expect(200);
  return { token, namespaceCode, schemaId: schema.body.id, datasetId: dataset.body.id };
}

/** A partner CSV: header of field paths, one row per prospect. */
export function prospectCsv(rows: { id: string; city?: string; age?: number | string; firstName?: string; email?: string }[]): string {
  const header = 'partnerID,person.name.firstName,homeAddress.city,consumer.age,personalEmail.address';
  const body = rows.map((r) => [r.id, r.firstName ?? '', r.city ?? '', r.age ?? '', r.email ?? ''].join(','));
  return [header, ...body].join('\n') + '\n';
}
