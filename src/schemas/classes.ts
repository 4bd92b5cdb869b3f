/**
 * XDM-like classes: the read-only base of every schema. Two ship, after Adobe's:
 * Individual Prospect Profile (third-party prospects from a data vendor, identities only of type
 * Partner ID) and Individual Profile (first-party people).
 *
 * Fields the platform fills itself (`_repo.*`, batch and repository ids) carry `meta:system: true`,
 * so audience rules, label pickers and mappings can leave them out.
 */
import type { FieldDefinition, Properties } from './compose';

export type ClassKind = 'prospect' | 'first_party';

export const PROSPECT_CLASS_ID = 'xdm:individual-prospect-profile';
export const PROFILE_CLASS_ID = 'xdm:individual-profile';

export interface XdmClass {
  /** e.g. `xdm:individual-prospect-profile`. */
  id: string;
  title: string;
  description: string;
  /** prospect: identities only of type Partner ID; first_party: any type, Partner ID never primary. */
  kind: ClassKind;
  /** JSON Schema `properties` of the class's preconfigured fields. */
  properties: Properties;
}

const system = (def: FieldDefinition): FieldDefinition => ({ ...def, 'meta:system': true });

/** Platform bookkeeping shared by both classes (Adobe's repository and batch fields). */
const REPOSITORY_FIELDS: Properties = {
  _repo: {
    type: 'object',
    title: 'Repository metadata',
    description: 'Filled by the platform when the record is stored',
    'meta:xdmType': 'object',
    properties: {
      createDate: system({ type: 'string', format: 'date-time', 'meta:xdmType': 'date-time', title: 'Create date', description: 'When the record was first stored' }),
      modifyDate: system({ type: 'string', format: 'date-time', 'meta:xdmType': 'date-time', title: 'Modify date', description: 'When the record was last changed' }),
    },
  },
  createdByBatchID: system({ type: 'string', 'meta:xdmType': 'string', title: 'Created by batch ID', description: 'Batch that created the record' }),
  modifiedByBatchID: system({ type: 'string', 'meta:xdmType': 'string', title: 'Modified by batch ID', description: 'Batch that last changed the record' }),
  repositoryCreatedBy: system({ type: 'string', 'meta:xdmType': 'string', title: 'Created by', description: 'Key or process that created the record' }),
  repositoryLastModifiedBy: system({ type: 'string', 'meta:xdmType': 'string', title: 'Last modified by', description: 'Key or process that last changed the record' }),
};

const RECORD_ID: FieldDefinition = {
  type: 'string',
  'meta:xdmType': 'string',
  title: 'Identifier',
  description: 'Unique identifier of the record',
};

export const XDM_CLASSES: readonly XdmClass[] = [
  {
    id: PROSPECT_CLASS_ID,
    title: 'Individual Prospect Profile',
    description:
      'Attributes of a prospect: a person licensed from a data partner who is not (yet) a known customer. ' +
      'Identities may only use Partner ID namespaces, which keeps prospects apart from first-party profiles.',
    kind: 'prospect',
    properties: {
      _id: RECORD_ID,
      partnerID: {
        type: 'string',
        'meta:xdmType': 'string',
        title: 'Partner ID',
        description: 'Identifier of the prospect given by the data partner, typically a unique pseudonymous identifier',
      },
      ...REPOSITORY_FIELDS,
    },
  },
  {
    id: PROFILE_CLASS_ID,
    title: 'Individual Profile',
    description: 'Attributes of a known (first-party) person: a customer, member or app user of the advertiser.',
    kind: 'first_party',
    properties: {
      _id: RECORD_ID,
      ...REPOSITORY_FIELDS,
    },
  },
];

export function findClass(id: string): XdmClass | undefined {
  return XDM_CLASSES.find((c) => c.id === id);
}
