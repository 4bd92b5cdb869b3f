/**
 * The deny-expression builder: a group chooses AND or OR and holds label conditions and nested
 * groups (Adobe's policy editor, with nesting). Errors — from the builder or the API's pointers —
 * show on the row they concern.
 */
import { Button, CloseButton, Group, Paper, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { groupLabels, Label, useLabelText } from '../../ui/labels';
import { BuilderNode, GroupNode, nodeId, update } from './expression';
import { ns } from './i18n';

const MAX_DEPTH = 4;

export function DenyBuilder({
  root,
  onChange,
  labels,
  errors,
}: {
  root: GroupNode;
  onChange: (root: GroupNode) => void;
  labels: Label[];
  /** node id → message */
  errors: Map<string, string>;
}) {
  const text = useLabelText();
  const options = groupLabels(labels).map((g) => ({
    group: text.category(g.key),
    items: g.labels.map((l) => ({ value: l.code, label: `${l.code} · ${text.name(l)}` })),
  }));
  return <GroupEditor node={root} depth={1} root={root} onChange={onChange} options={options} errors={errors} />;
}

type Options = { group: string; items: { value: string; label: string }[] }[];

function GroupEditor({
  node,
  depth,
  root,
  onChange,
  options,
  errors,
  onRemove,
}: {
  node: GroupNode;
  depth: number;
  root: GroupNode;
  onChange: (root: GroupNode) => void;
  options: Options;
  errors: Map<string, string>;
  onRemove?: () => void;
}) {
  const { t } = useTranslation(ns);
  const set = (id: string, fn: (n: BuilderNode) => BuilderNode | null) => onChange(update(root, id, fn));
  const add = (child: BuilderNode) => set(node.id, (n) => (n.kind === 'group' ? { ...n, children: [...n.children, child] } : n));
  const word = node.operator === 'AND' ? t('builder.andWord') : t('builder.orWord');
  return (
    <Paper withBorder p="sm" radius="md" bg={depth % 2 === 0 ? 'gray.0' : undefined} role="group" aria-label={`${t('builder.group')} ${depth}`} data-testid={`group-${depth}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <SegmentedControl
            size="xs"
            aria-label={t('builder.operator')}
            value={node.operator}
            onChange={(v) => set(node.id, (n) => (n.kind === 'group' ? { ...n, operator: v as 'AND' | 'OR' } : n))}
            data={[{ value: 'AND', label: t('builder.and') }, { value: 'OR', label: t('builder.or') }]}
          />
          {onRemove && <Button size="xs" variant="default" onClick={onRemove}>{t('builder.removeGroup')}</Button>}
        </Group>
        {node.children.map((child, i) => (
          <Group key={child.id} align="flex-start" wrap="nowrap" gap="xs">
            <Text size="sm" fw={700} w={56} pt={child.kind === 'label' ? 6 : 10} ta="right">{i > 0 ? word : ''}</Text>
            {child.kind === 'label' ? (
              <Group gap={4} align="flex-start" wrap="nowrap" style={{ flex: 1 }}>
                <Select
                  aria-label={t('builder.label', { n: i + 1 })}
                  placeholder={t('builder.labelPlaceholder')}
                  data={options}
                  value={child.label}
                  onChange={(v) => set(child.id, (n) => ({ ...n, label: v }) as BuilderNode)}
                  searchable
                  allowDeselect={false}
                  error={errors.get(child.id)}
                  w={360}
                  data-testid="deny-label"
                />
                <CloseButton aria-label={t('builder.removeLabel', { n: i + 1 })} onClick={() => set(child.id, () => null)} mt={4} />
              </Group>
            ) : (
              <div style={{ flex: 1 }}>
                <GroupEditor node={child} depth={depth + 1} root={root} onChange={onChange} options={options} errors={errors} onRemove={() => set(child.id, () => null)} />
              </div>
            )}
          </Group>
        ))}
        {errors.get(node.id) && <Text size="sm" c="red.9" role="alert">{errors.get(node.id)}</Text>}
        <Group gap="xs" ml={64}>
          <Button size="xs" variant="light" onClick={() => add({ id: nodeId(), kind: 'label', label: null })}>{t('builder.addLabel')}</Button>
          {depth < MAX_DEPTH && (
            <Button size="xs" variant="default" onClick={() => add({ id: nodeId(), kind: 'group', operator: node.operator === 'AND' ? 'OR' : 'AND', children: [{ id: nodeId(), kind: 'label', label: null }] })}>
              {t('builder.addGroup')}
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
