/**
 * Standard field groups, shipped in code and read-only (ids `fg:…`; custom ones are `fg_…` rows).
 * Each names the classes it may extend (`meta:intendedToExtend`), as in Adobe's XDM.
 */
import { PROFILE_CLASS_ID, PROSPECT_CLASS_ID } from './classes';
import type { FieldDefinition, Properties } from './compose';

export interface StandardFieldGroup {
  id: string;
  title: string;
  description: string;
  'meta:intendedToExtend': string[];
  properties: Properties;
}

const BOTH = [PROSPECT_CLASS_ID, PROFILE_CLASS_ID];

const str = (title: string, extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ type: 'string', 'meta:xdmType': 'string', title, ...extra });
const obj = (title: string, properties: Properties): FieldDefinition => ({ type: 'object', 'meta:xdmType': 'object', title, properties });

export const STANDARD_FIELD_GROUPS: readonly StandardFieldGroup[] = [
  {
    id: 'fg:person-details',
    title: 'Person details',
    description: 'Name, gender and birth date of a person',
    'meta:intendedToExtend': BOTH,
    properties: {
      person: obj('Person', {
        name: obj('Full name', {
          firstName: str('First name'),
          lastName: str('Last name'),
          fullName: str('Full name', { description: 'The whole name as the source wrote it' }),
        }),
        gender: str('Gender', { enum: ['female', 'male', 'not_specified', 'non_specific'] }),
        birthDate: str('Birth date', { format: 'date', 'meta:xdmType': 'date' }),
        birthYear: { type: 'integer', 'meta:xdmType': 'short', title: 'Birth year', minimum: 1, maximum: 32767 },
      }),
    },
  },
  {
    id: 'fg:personal-contact',
    title: 'Personal contact details',
    description: 'Personal email address and phone numbers',
    'meta:intendedToExtend': BOTH,
    properties: {
      personalEmail: obj('Personal email', { address: str('Email address', { format: 'email' }) }),
      mobilePhone: obj('Mobile phone', { number: str('Mobile phone number', { description: 'As received; E.164 (+821012345678) preferred' }) }),
      homePhone: obj('Home phone', { number: str('Home phone number', { description: 'As received; E.164 preferred' }) }),
    },
  },
  {
    id: 'fg:home-address',
    title: 'Home address',
    description: 'Postal address of the person\'s home',
    'meta:intendedToExtend': BOTH,
    properties: {
      homeAddress: obj('Home address', {
        street1: str('Street address'),
        city: str('City'),
        region: str('Region', { description: 'State, province or 시/도' }),
        postalCode: str('Postal code'),
        country: str('Country', { description: 'Country name' }),
        countryCode: str('Country code', { description: 'ISO 3166-1 alpha-2, e.g. KR', minLength: 2, maxLength: 2 }),
      }),
    },
  },
  {
    id: 'fg:consumer-demographics',
    title: 'Consumer demographics and interests',
    description: 'Demographic, household and interest attributes as a data vendor delivers them',
    'meta:intendedToExtend': BOTH,
    properties: {
      consumer: obj('Consumer', {
        age: { type: 'integer', 'meta:xdmType': 'short', title: 'Age', minimum: 0, maximum: 150 },
        ageRange: str('Age range', { description: 'Vendor bucket, e.g. 25-34' }),
        income: { type: 'number', 'meta:xdmType': 'number', title: 'Income', description: 'Yearly household income', minimum: 0 },
        incomeRange: str('Income range', { description: 'Vendor bucket' }),
        householdSize: { type: 'integer', 'meta:xdmType': 'short', title: 'Household size', minimum: 0, maximum: 100 },
        maritalStatus: str('Marital status'),
        education: str('Education'),
        occupation: str('Occupation'),
        interests: {
          type: 'array',
          'meta:xdmType': 'array',
          title: 'Interests',
          description: 'Interest categories given by the vendor',
          items: { type: 'string', 'meta:xdmType': 'string' },
        },
        homeOwner: { type: 'boolean', 'meta:xdmType': 'boolean', title: 'Home owner' },
        carOwner: { type: 'boolean', 'meta:xdmType': 'boolean', title: 'Car owner' },
        lastPurchaseDate: str('Last purchase date', { format: 'date', 'meta:xdmType': 'date' }),
      }),
    },
  },
  {
    id: 'fg:mobile-identifiers',
    title: 'Mobile and app identifiers',
    description: 'Advertising id of the person\'s device and their app user id (first-party profiles only)',
    'meta:intendedToExtend': [PROFILE_CLASS_ID],
    properties: {
      mobileIdentifiers: obj('Mobile identifiers', {
        adid: str('Advertising ID', { description: 'GAID or IDFA, lowercase with hyphens, never hashed' }),
        appUserId: str('App user ID', { description: 'Kakao app user id of the advertiser\'s app' }),
      }),
    },
  },
];

export function findStandardFieldGroup(id: string): StandardFieldGroup | undefined {
  return STANDARD_FIELD_GROUPS.find((g) => g.id === id);
}
