/**
 * Wizard step 4: the identity (namespace and column) and the attributes — source field → target
 * column, with the mandatory and deduplication-key checkboxes (Adobe's mapping step). LiveRamp
 * takes no attributes.
 */
import { ActionIcon, Alert, Button, Checkbox, Group, Select, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { fieldError } from '../../../ui/Problem';
import type { Attribute } from '../../audiences/builder/model';
import type { Namespace } from '../../audiences/types';
import { ns } from '../i18n';
import { AttributeRow, Draft, newRow } from './draft';

export function MappingStep(props: { draft: Draft; set: (d: Partial<Draft>) => void; attributes: Attribute[]; namespaces: Namespace[]; liveRamp: boolean; accepts?: string[]; error: unknown }) {
  const { t } = useTranslation([ns, 'common']);
  const { draft, set, error } = props;
  const setRow = (key: string, patch: Partial<AttributeRow>) => set({ attributes: draft.attributes.map((r) => (r.key === key ? { ...r, ...patch } : r)) });
  const dedupCount = draft.attributes.filter((a) => a.dedup).length;
  const fields = props.attributes.map((a) => ({ value: a.path, label: a.path }));
  return (
    <>
      <Table withTableBorder aria-label={t('wizard.steps.mapping')} verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('wizard.sourceField')}</Table.Th>
            <Table.Th>{t('wizard.targetColumn')}</Table.Th>
            <Table.Th>{t('wizard.mandatory')}</Table.Th>
            <Table.Th>{t('wizard.dedupKey')}</Table.Th>
            <Table.Th><VisuallyHidden>{t('common:actions')}</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          <Table.Tr data-testid="mapping-identity">
            <Table.Td>
              <Select
                label={t('wizard.identityNamespace')}
                description={props.accepts ? t('wizard.acceptsIdentities', { types: props.accepts.join(', ') }) : undefined}
                // A namespace the destination cannot take stays listed, disabled, with why (the API refuses it too).
                data={props.namespaces.map((n) => {
                  const refused = props.accepts && !props.accepts.includes(n.type);
                  return { value: n.code, label: `${n.name} (${n.code})${refused ? ` — ${t('wizard.identityNotAccepted', { type: n.type })}` : ''}`, disabled: refused };
                })}
                value={draft.identity.namespace || null}
                onChange={(v) => set({ identity: { ...draft.identity, namespace: v ?? '' } })}
                error={fieldError(error, '/mapping/identity/namespace')}
                searchable
                allowDeselect={false}
              />
            </Table.Td>
            <Table.Td>
              <TextInput label={t('wizard.identityColumn')} value={draft.identity.column} onChange={(e) => set({ identity: { ...draft.identity, column: e.currentTarget.value } })} error={fieldError(error, '/mapping/identity/column')} />
            </Table.Td>
            <Table.Td>
              <Checkbox aria-label={`${t('wizard.identity')}: ${t('wizard.mandatory')}`} checked disabled />
            </Table.Td>
            <Table.Td>
              <Checkbox aria-label={t('wizard.identityDedup')} checked={dedupCount === 0} disabled />
            </Table.Td>
            <Table.Td />
          </Table.Tr>
          {draft.attributes.map((r, i) => (
            <Table.Tr key={r.key} data-testid="mapping-attribute">
              <Table.Td>
                <Select
                  aria-label={`${t('wizard.sourceField')} ${i + 1}`}
                  data={fields}
                  value={r.field || null}
                  onChange={(v) => setRow(r.key, { field: v ?? '', column: r.column || (v ?? '').split('.').at(-1) || '' })}
                  error={fieldError(error, `/mapping/attributes/${i}/field`) ?? fieldError(error, `/mandatoryFields/${i}`)}
                  searchable
                />
              </Table.Td>
              <Table.Td>
                <TextInput aria-label={`${t('wizard.targetColumn')} ${i + 1}`} value={r.column} onChange={(e) => setRow(r.key, { column: e.currentTarget.value })} error={fieldError(error, `/mapping/attributes/${i}/column`)} />
              </Table.Td>
              <Table.Td>
                <Checkbox aria-label={`${r.field || i + 1}: ${t('wizard.mandatory')}`} checked={r.mandatory} onChange={(e) => setRow(r.key, { mandatory: e.currentTarget.checked })} />
              </Table.Td>
              <Table.Td>
                <Checkbox aria-label={`${r.field || i + 1}: ${t('wizard.dedupKey')}`} checked={r.dedup} onChange={(e) => setRow(r.key, { dedup: e.currentTarget.checked })} disabled={!r.dedup && dedupCount >= 2} />
              </Table.Td>
              <Table.Td>
                <ActionIcon variant="subtle" color="gray" aria-label={`${r.field || i + 1}: ${t('wizard.removeAttribute')}`} onClick={() => set({ attributes: draft.attributes.filter((x) => x.key !== r.key) })}>
                  ×
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {props.liveRamp ? (
        <Alert color="blue" mt="sm">{t('wizard.liveRampNoAttributes')}</Alert>
      ) : (
        <Group mt="sm">
          <Button variant="light" onClick={() => set({ attributes: [...draft.attributes, newRow()] })}>
            + {t('wizard.addAttribute')}
          </Button>
        </Group>
      )}
      {dedupCount >= 2 && <Text size="xs" c="dimmed" mt={4}>{t('wizard.dedupMax')}</Text>}
    </>
  );
}
