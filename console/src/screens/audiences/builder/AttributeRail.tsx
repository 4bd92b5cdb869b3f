/**
 * The left rail: prospect attributes only (the non-system fields of the account's profile-enabled
 * prospect schemas), grouped by their top-level object and searchable. Click adds a condition to
 * the active group; dragging onto a group does the same.
 */
import { Badge, Group, NavLink, ScrollArea, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ns } from '../i18n';
import type { Attribute } from './model';

export const DRAG_TYPE = 'application/x-cdp-attribute';

export function AttributeRail({ attributes, onPick }: { attributes: Attribute[]; onPick: (a: Attribute) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const shown = attributes.filter((a) => !needle || a.path.toLowerCase().includes(needle) || a.title.toLowerCase().includes(needle));
  const groups = [...new Set(shown.map((a) => a.group))];
  return (
    <Stack gap="xs" h="100%">
      <Text fw={700}>{t('builder.attributes')}</Text>
      <Text size="xs" c="dimmed">{t('builder.attributesHint')}</Text>
      <TextInput aria-label={t('builder.searchAttributes')} placeholder={t('builder.searchAttributes')} value={q} onChange={(e) => setQ(e.currentTarget.value)} />
      {attributes.length === 0 && <Text size="sm">{t('builder.noAttributes')}</Text>}
      <ScrollArea.Autosize mah={560} type="auto">
        <nav aria-label={t('builder.attributes')}>
          {groups.map((g) => (
            <NavLink key={g} label={<Text size="sm" fw={600}>{g}</Text>} defaultOpened childrenOffset="sm">
              {shown
                .filter((a) => a.group === g)
                .map((a) => (
                  <NavLink
                    key={a.path}
                    component="button"
                    type="button"
                    data-testid={`attribute-${a.path}`}
                    title={a.path}
                    label={
                      <Group gap={6} wrap="nowrap" justify="space-between">
                        <Text size="sm" truncate>{a.path.includes('.') ? a.path.slice(a.path.indexOf('.') + 1) : a.path}</Text>
                        <Badge size="xs" variant="outline" color="gray">{t(`kinds.${a.kind}`)}</Badge>
                      </Group>
                    }
                    draggable
                    onDragStart={(e: React.DragEvent) => e.dataTransfer.setData(DRAG_TYPE, a.path)}
                    onClick={() => onPick(a)}
                  />
                ))}
            </NavLink>
          ))}
        </nav>
      </ScrollArea.Autosize>
    </Stack>
  );
}
