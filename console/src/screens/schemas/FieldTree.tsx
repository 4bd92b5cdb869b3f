/** Structure tab: the merged field tree (objects expandable), each leaf with its XDM type and identity. */
import { Badge, Button, getTreeExpandedState, Group, Paper, Stack, Text, Title, Tree, TreeNodeData, useTree } from '@mantine/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../ui/Problem';
import { LeafField, Properties, useSchemaFields, useSchemaFull } from './api';
import { ns } from './i18n';

function toTree(props: Properties, prefix = ''): TreeNodeData[] {
  return Object.entries(props).map(([name, def]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return def.type === 'object'
      ? { value: path, label: name, nodeProps: { title: def.title, object: true }, children: toTree(def.properties ?? {}, path) }
      : { value: path, label: name, nodeProps: { title: def.title } };
  });
}

export function FieldTree({ schemaId }: { schemaId: string }) {
  const { t } = useTranslation([ns, 'common']);
  const full = useSchemaFull(schemaId);
  const fields = useSchemaFields(schemaId);
  if (full.error || fields.error) return <ProblemAlert error={full.error ?? fields.error} />;
  if (!full.data || !fields.data) return <Text size="sm">{t('common:loading')}</Text>;
  const identities = fields.data.filter((f) => f.identity);
  return (
    <Stack>
      {identities.length > 0 && (
        <Paper withBorder p="sm">
          <Title order={3} size="h5" mb="xs">{t('detail.identities')}</Title>
          {identities.map((f) => (
            <Group key={f.path} gap="xs">
              <code>{f.path}</code>
              <Badge color={f.identity!.primary ? 'teal.9' : 'blue.9'}>{f.identity!.primary ? t('detail.primary') : t('detail.secondary')}</Badge>
              <Text size="sm">{f.identity!.namespace}</Text>
            </Group>
          ))}
        </Paper>
      )}
      <TreeView properties={full.data.properties} fields={fields.data} />
    </Stack>
  );
}

/** Mounted once the schema is loaded, so the tree starts fully expanded. */
function TreeView({ properties, fields }: { properties: Properties; fields: LeafField[] }) {
  const { t } = useTranslation([ns, 'common']);
  const byPath = useMemo(() => new Map(fields.map((f) => [f.path, f])), [fields]);
  const data = useMemo(() => toTree(properties), [properties]);
  const tree = useTree({ initialExpandedState: getTreeExpandedState(data, '*') });
  return (
    <Paper withBorder p="sm">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">{t('detail.tree')} · {t('detail.fieldCount', { count: fields.length })}</Title>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => tree.expandAllNodes()}>{t('detail.expandAll')}</Button>
          <Button size="xs" variant="default" onClick={() => tree.collapseAllNodes()}>{t('detail.collapseAll')}</Button>
        </Group>
      </Group>
      <Tree
        data={data}
        tree={tree}
        levelOffset="lg"
        withLines
        aria-label={t('detail.tree')}
        renderNode={({ node, expanded, hasChildren, elementProps }) => (
          <Group gap={6} wrap="nowrap" {...elementProps} py={2}>
            {hasChildren ? <Text span size="xs" aria-hidden w={12}>{expanded ? '▾' : '▸'}</Text> : <Text span w={12} />}
            <Text span size="sm" ff="monospace" fw={hasChildren ? 600 : 400}>{node.label}</Text>
            {node.nodeProps?.title && <Text span size="xs" c="dimmed">{node.nodeProps.title}</Text>}
            {!hasChildren && <LeafBadges field={byPath.get(node.value)} />}
          </Group>
        )}
      />
    </Paper>
  );
}

function LeafBadges({ field }: { field?: LeafField }) {
  const { t } = useTranslation(ns);
  if (!field) return null;
  return (
    <>
      <Badge size="xs" variant="default" tt="none">{field.itemType ? `${field.xdmType}<${field.itemType}>` : field.xdmType}</Badge>
      {field.identity?.primary && <Badge size="xs" color="teal.9">{t('detail.primary')}</Badge>}
      {field.identity && !field.identity.primary && <Badge size="xs" color="blue.9">{t('detail.secondary')}</Badge>}
      {field.system && <Badge size="xs" variant="default">{t('detail.system')}</Badge>}
    </>
  );
}
