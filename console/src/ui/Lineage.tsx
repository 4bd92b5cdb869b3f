/**
 * Data lineage of a policy violation (Adobe's path view and list view): where each label came
 * from — dataset → field → audience → activation → destination, or source → target → identity →
 * activation → destination — as a graph (@xyflow/react) and as a table, each entity a link to its
 * screen. Entries are the API's LineageEntry (src/activation/types.ts).
 */
import '@xyflow/react/dist/style.css';
import './lineage.css';
import { Anchor, Badge, Group, Table, Text } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { Edge, Handle, MarkerType, Node, NodeProps, Position, ReactFlow } from '@xyflow/react';
import { Fragment, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { translations } from '../i18n';

const lineageNs = translations('lineage', {
  ko: {
    graph: '데이터 계보 경로',
    list: '데이터 계보 목록',
    label: '레이블',
    path: '경로',
    draft: '{{name}} (저장 전)',
    impliedBy: '{{label}}에 포함',
    kinds: { source: '소스', dataset: '데이터 세트', field: '필드', allFields: '모든 필드', merge: '병합', mergedProfile: '병합 프로필 (데이터 세트 {{n}}개)', target: '타겟', audience: '대상자', mapped: '매핑된 속성', identity: 'ID', activation: '활성화', destination: '대상' },
  },
  en: {
    graph: 'Data lineage path',
    list: 'Data lineage list',
    label: 'Label',
    path: 'Path',
    draft: '{{name}} (not saved)',
    impliedBy: 'implied by {{label}}',
    kinds: { source: 'Source', dataset: 'Dataset', field: 'Field', allFields: 'All fields', merge: 'Merge', mergedProfile: 'Merged profile ({{n}} datasets)', target: 'Target', audience: 'Audience', mapped: 'Mapped attribute', identity: 'Identity', activation: 'Activation', destination: 'Destination' },
  },
});

export interface LineageEntry {
  label: string;
  impliedBy?: string;
  dataset: { id: string; name: string } | null;
  field: string | null;
  /** The audience merged this dataset with others of its namespace. */
  merge?: { namespaceId: string; datasets: number } | null;
  audience: { id: string; name: string } | null;
  target: { id: string; name: string; kind: string } | null;
  source: { type: string; id: string; description: string } | null;
  identity: { namespace: string; label: string } | null;
  activation: { id: string | null; name: string };
  destination: { id: string; name: string };
  path: string;
}

type Kind = 'source' | 'dataset' | 'field' | 'merge' | 'target' | 'audience' | 'identity' | 'activation' | 'destination';
const ORDER: Kind[] = ['source', 'dataset', 'field', 'merge', 'target', 'audience', 'identity', 'activation', 'destination'];

interface Step {
  key: string;
  kind: Kind;
  kindLabel: string;
  name: string;
  href?: string;
}

function useSteps(entries: LineageEntry[]): Step[][] {
  const { t } = useTranslation(lineageNs);
  const datasetIds = [...new Set(entries.map((e) => e.dataset?.id).filter((x): x is string => !!x))];
  // A field's link opens its schema's Labels tab: the dataset says which schema.
  const datasets = useQueries({
    queries: datasetIds.map((id) => ({
      queryKey: ['datasets', id],
      queryFn: () => unwrap<{ id: string; schemaId: string }>(api.GET('/v1/datasets/{id}', { params: { path: { id } } })),
    })),
  });
  const schemaOf = new Map(datasets.map((d) => [d.data?.id, d.data?.schemaId]));
  return entries.map((e) => {
    const steps: (Step | null)[] = [
      e.source ? { key: `source:${e.source.id}`, kind: 'source', kindLabel: t('kinds.source'), name: e.source.description } : null,
      e.dataset ? { key: `dataset:${e.dataset.id}`, kind: 'dataset', kindLabel: t('kinds.dataset'), name: e.dataset.name, href: `/datasets/${e.dataset.id}` } : null,
      e.field
        ? { key: `field:${e.dataset?.id ?? ''}:${e.field}`, kind: 'field', kindLabel: t('kinds.field'), name: e.field, href: schemaOf.get(e.dataset?.id) ? `/schemas/${schemaOf.get(e.dataset?.id)}/labels` : undefined }
        : e.dataset
          ? { key: `field:${e.dataset.id}:*`, kind: 'field', kindLabel: t('kinds.field'), name: t('kinds.allFields'), href: `/datasets/${e.dataset.id}` }
          : null,
      e.merge ? { key: `merge:${e.audience?.id ?? ''}:${e.merge.namespaceId}`, kind: 'merge', kindLabel: t('kinds.merge'), name: t('kinds.mergedProfile', { n: e.merge.datasets }) } : null,
      e.target ? { key: `target:${e.target.id}`, kind: 'target', kindLabel: `${t('kinds.target')} (${e.target.kind})`, name: e.target.name } : null,
      e.audience
        ? { key: `audience:${e.audience.id}`, kind: 'audience', kindLabel: t('kinds.audience'), name: e.audience.name, href: `/audiences/${e.audience.id}` }
        : e.dataset
          ? { key: 'audience:mapped', kind: 'audience', kindLabel: t('kinds.mapped'), name: t('kinds.mapped') }
          : null,
      e.identity ? { key: `identity:${e.identity.namespace}`, kind: 'identity', kindLabel: t('kinds.identity'), name: `${e.identity.namespace} (${e.identity.label})` } : null,
      {
        key: `activation:${e.activation.id ?? 'draft'}`,
        kind: 'activation',
        kindLabel: t('kinds.activation'),
        name: e.activation.id ? e.activation.name : t('draft', { name: e.activation.name }),
        href: e.activation.id ? `/activations/${e.activation.id}` : undefined,
      },
      { key: `destination:${e.destination.id}`, kind: 'destination', kindLabel: t('kinds.destination'), name: e.destination.name, href: `/destinations/${e.destination.id}` },
    ];
    return steps.filter((s): s is Step => s !== null);
  });
}

function StepLink({ step }: { step: Step }) {
  return step.href ? (
    <Anchor component={Link} to={step.href} size="sm" className="nodrag nopan" data-kind={step.kind}>
      {step.name}
    </Anchor>
  ) : (
    <Text span size="sm" data-kind={step.kind}>{step.name}</Text>
  );
}

function EntityNode({ data }: NodeProps<Node<{ step: Step }>>) {
  return (
    <div style={{ padding: '6px 10px', border: '1px solid var(--mantine-color-gray-5)', borderRadius: 6, background: 'var(--mantine-color-body)', width: 190 }} data-testid={`lineage-node-${data.step.kind}`}>
      <Handle type="target" position={Position.Left} isConnectable={false} style={{ visibility: 'hidden' }} />
      <Text size="xs" c="dimmed">{data.step.kindLabel}</Text>
      <StepLink step={data.step} />
      <Handle type="source" position={Position.Right} isConnectable={false} style={{ visibility: 'hidden' }} />
    </div>
  );
}

const nodeTypes = { entity: EntityNode };

export function LineageGraph({ entries }: { entries: LineageEntry[] }) {
  const { t } = useTranslation(lineageNs);
  const chains = useSteps(entries);
  const { nodes, edges, height } = useMemo(() => {
    const byKey = new Map<string, Step>();
    const edgeKeys = new Set<string>();
    for (const chain of chains) {
      chain.forEach((s, i) => {
        byKey.set(s.key, s);
        if (i > 0) edgeKeys.add(`${chain[i - 1].key}→${s.key}`);
      });
    }
    const columns = ORDER.filter((k) => [...byKey.values()].some((s) => s.kind === k));
    const rows = new Map<Kind, number>();
    const nodes: Node<{ step: Step }>[] = [...byKey.values()].map((s) => {
      const row = rows.get(s.kind) ?? 0;
      rows.set(s.kind, row + 1);
      return { id: s.key, type: 'entity', position: { x: columns.indexOf(s.kind) * 240, y: row * 90 }, data: { step: s }, draggable: false, selectable: false };
    });
    const edges: Edge[] = [...edgeKeys].map((k) => {
      const [source, target] = k.split('→');
      return { id: k, source, target, markerEnd: { type: MarkerType.ArrowClosed } };
    });
    return { nodes, edges, height: Math.max(...rows.values(), 1) * 90 + 40 };
  }, [chains]);
  return (
    <div style={{ height, width: '100%' }} role="figure" aria-label={t('graph')} data-testid="lineage-graph">
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView nodesDraggable={false} nodesConnectable={false} elementsSelectable={false} zoomOnScroll={false} panOnScroll={false} preventScrolling={false} />
    </div>
  );
}

export function LineageList({ entries }: { entries: LineageEntry[] }) {
  const { t } = useTranslation(lineageNs);
  const chains = useSteps(entries);
  return (
    <Table withTableBorder aria-label={t('list')} data-testid="lineage-list">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('label')}</Table.Th>
          <Table.Th>{t('path')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entries.map((e, i) => (
          <Table.Tr key={`${e.label}:${e.path}`}>
            <Table.Td>
              <Badge variant="outline" color="red.9" tt="none">{e.label}</Badge>
              {e.impliedBy && <Text size="xs">{t('impliedBy', { label: e.impliedBy })}</Text>}
            </Table.Td>
            <Table.Td>
              <Group gap={6}>
                {chains[i].map((s, j) => (
                  <Fragment key={s.key}>
                    {j > 0 && <Text span size="sm" aria-hidden>→</Text>}
                    <span>
                      <Text span size="xs" c="dimmed">{s.kindLabel} </Text>
                      <StepLink step={s} />
                    </span>
                  </Fragment>
                ))}
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
