/**
 * The label picker of the Labels tab: categories on the left (Contract, Identity, Sensitive, Partner
 * ecosystem, Custom labels of the account), their labels on the right. A label already on all
 * selected fields is checked, on some of them indeterminate. Save adds the newly checked labels to
 * every selected field ("*" when all fields are selected) and removes the unchecked ones.
 */
import { Badge, Button, Checkbox, Group, NavLink, ScrollArea, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { CATEGORY_ORDER, groupLabels, Label, LabelCategoryKey, useLabelText } from '../../ui/labels';
import { Dialog } from '../../ui/Dialog';
import { ProblemAlert } from '../../ui/Problem';
import { keys } from './api';
import { ns } from './i18n';

type State = 'all' | 'some' | 'none';

export function LabelPicker({
  opened,
  onClose,
  onSaved,
  schemaId,
  fields,
  allFields,
  catalog,
}: {
  opened: boolean;
  onClose: () => void;
  onSaved: () => void;
  schemaId: string;
  fields: { path: string; labels: string[] }[];
  allFields: boolean;
  catalog: Label[];
}) {
  const { t } = useTranslation([ns, 'common']);
  const text = useLabelText();
  const qc = useQueryClient();
  const [category, setCategory] = useState<LabelCategoryKey>('partner');
  const initial = useMemo(() => {
    const m = new Map<string, State>();
    for (const l of catalog) {
      const n = fields.filter((f) => f.labels.includes(l.code)).length;
      m.set(l.code, n === 0 ? 'none' : n === fields.length ? 'all' : 'some');
    }
    return m;
  }, [catalog, fields]);
  const [state, setState] = useState(initial);
  useEffect(() => {
    if (opened) setState(initial);
  }, [opened, initial]);

  const added = [...state].filter(([code, s]) => s === 'all' && initial.get(code) !== 'all').map(([c]) => c);
  const removed = [...state].filter(([code, s]) => s === 'none' && initial.get(code) !== 'none').map(([c]) => c);

  const save = useMutation({
    mutationFn: async () => {
      const target = allFields ? ('*' as const) : fields.map((f) => f.path);
      if (added.length > 0) await unwrap(api.POST('/v1/schemas/{id}/labels', { params: { path: { id: schemaId } }, body: { labels: added, fields: target } }));
      if (removed.length > 0) await unwrap(api.DELETE('/v1/schemas/{id}/labels', { params: { path: { id: schemaId } }, body: { labels: removed, fields: target } }));
    },
    onSettled: () => qc.invalidateQueries({ queryKey: keys.labels(schemaId) }),
    onSuccess: () => {
      save.reset();
      onSaved();
    },
  });

  const groups = groupLabels(catalog);
  const current = groups.find((g) => g.key === category)?.labels ?? [];
  return (
    <Dialog opened={opened} onClose={onClose} title={t('labels.pickerTitle')} size="xl">
      <Stack>
        <Text size="sm">{t('labels.pickerIntro', { count: fields.length })}</Text>
        <Group align="flex-start" wrap="nowrap">
          <Stack gap={2} w={220} component="nav" aria-label={t('labels.categories')}>
            {CATEGORY_ORDER.map((key) => {
              const n = catalog.filter((l) => groups.find((g) => g.key === key)?.labels.includes(l) && state.get(l.code) === 'all').length;
              return (
                <NavLink
                  key={key}
                  label={text.category(key)}
                  active={key === category}
                  onClick={() => setCategory(key)}
                  rightSection={n > 0 ? <Badge size="xs" circle>{n}</Badge> : null}
                  aria-current={key === category ? 'true' : undefined}
                  component="button"
                />
              );
            })}
          </Stack>
          <ScrollArea.Autosize mah={420} style={{ flex: 1 }}>
            <Stack gap="sm" role="group" aria-label={text.category(category)}>
              {current.length === 0 && <Text size="sm">{t('labels.noCustom')}</Text>}
              {current.map((l) => {
                const s = state.get(l.code) ?? 'none';
                return (
                  <Checkbox
                    key={l.code}
                    checked={s === 'all'}
                    indeterminate={s === 'some'}
                    onChange={(e) => setState(new Map(state).set(l.code, e.currentTarget.checked ? 'all' : 'none'))}
                    label={
                      <span>
                        <b>{l.code}</b> {text.name(l)}
                      </span>
                    }
                    description={text.description(l)}
                    data-label-option={l.code}
                  />
                );
              })}
            </Stack>
          </ScrollArea.Autosize>
        </Group>
        <Text size="sm" data-testid="label-changes">{t('labels.changes', { added: added.join(', ') || '—', removed: removed.join(', ') || '—' })}</Text>
        <ProblemAlert error={save.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={added.length + removed.length === 0}>{t('common:save')}</Button>
        </Group>
      </Stack>
    </Dialog>
  );
}
