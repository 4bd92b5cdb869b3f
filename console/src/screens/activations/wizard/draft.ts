/** The activation being built by the wizard, and the request body it becomes (schemas/activation-create.json). */
import type { ActivationSchedule } from '../types';

export interface AttributeRow {
  key: string;
  field: string;
  column: string;
  mandatory: boolean;
  dedup: boolean;
}

export interface Draft {
  name: string;
  destinationId: string | null;
  audienceIds: string[];
  schedule: { type: ActivationSchedule['type']; at: string };
  identity: { namespace: string; column: string };
  attributes: AttributeRow[];
}

let rows = 0;
export const newRow = (): AttributeRow => ({ key: `r${++rows}`, field: '', column: '', mandatory: false, dedup: false });

export function emptyDraft(destinationId: string | null): Draft {
  return { name: '', destinationId, audienceIds: [], schedule: { type: 'after_evaluation', at: '06:00' }, identity: { namespace: '', column: 'partner_id' }, attributes: [] };
}

export function toBody(d: Draft) {
  const attributes = d.attributes.filter((a) => a.field && a.column);
  const dedup = attributes.filter((a) => a.dedup).map((a) => a.field);
  return {
    name: d.name.trim(),
    destinationId: d.destinationId ?? '',
    audienceIds: d.audienceIds,
    schedule: d.schedule.type === 'daily' ? { type: d.schedule.type, at: d.schedule.at } : { type: d.schedule.type },
    mapping: { identity: { namespace: d.identity.namespace, column: d.identity.column.trim() }, attributes: attributes.map((a) => ({ field: a.field, column: a.column.trim() })) },
    mandatoryFields: attributes.filter((a) => a.mandatory).map((a) => a.field),
    dedup: dedup.length ? { fields: dedup } : null,
    enabled: true,
  };
}

export type Step = 'destination' | 'audiences' | 'schedule' | 'mapping' | 'review';
export const STEPS: Step[] = ['destination', 'audiences', 'schedule', 'mapping', 'review'];

/** Why the wizard cannot leave a step yet (an i18n key), or null. */
export function stepProblem(step: Step, d: Draft): string | null {
  if (step === 'destination' && !d.destinationId) return 'wizard.need.destination';
  if (step === 'audiences' && d.audienceIds.length === 0) return 'wizard.need.audiences';
  if (step === 'schedule' && (!d.name.trim() || (d.schedule.type === 'daily' && !/^\d\d:\d\d$/.test(d.schedule.at)))) return 'wizard.need.name';
  if (step === 'mapping') {
    if (!d.identity.namespace || !d.identity.column.trim()) return 'wizard.need.identity';
    if (d.attributes.some((a) => !a.field || !a.column.trim())) return 'wizard.incomplete';
    if (d.attributes.filter((a) => a.dedup).length > 2) return 'wizard.dedupMax';
  }
  return null;
}
