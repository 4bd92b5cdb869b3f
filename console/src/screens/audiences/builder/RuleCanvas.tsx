/**
 * The rule canvas: nested groups (AND / OR, include / exclude) of conditions, each with the
 * operators of its field's type and the value inputs that operator needs. Errors come from two
 * places: incomplete values (checked here) and the API's problems, by the node their pointer names.
 */
import { ActionIcon, Badge, Button, Code, CloseButton, Group as Row, MultiSelect, Paper, Radio, SegmentedControl, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ns } from '../i18n';
import { DRAG_TYPE } from './AttributeRail';
import { Attribute, CanvasOp, Condition, emptyGroup, FieldKind, Group, Incomplete, Json, OPS_BY_KIND, toText, updateNode } from './model';

export interface CanvasProps {
  root: Group;
  onChange: (root: Group) => void;
  attributes: Map<string, Attribute>;
  activeGroup: string;
  onActivate: (id: string) => void;
  onDropAttribute: (groupId: string, path: string) => void;
  /** node id → message (API problems) */
  errors: Map<string, string>;
  incomplete: Map<string, Incomplete>;
}

export function RuleCanvas(props: CanvasProps) {
  const { t } = useTranslation([ns, 'common']);
  if (props.root.children.length === 0) {
    return (
      <GroupBox {...props} group={props.root} depth={0}>
        <Text size="sm" c="dimmed" ta="center" py="lg">{t('builder.emptyCanvas')}</Text>
      </GroupBox>
    );
  }
  return <GroupBox {...props} group={props.root} depth={0} />;
}

function GroupBox(props: CanvasProps & { group: Group; depth: number; children?: React.ReactNode }) {
  const { t } = useTranslation([ns, 'common']);
  const { group, root, onChange, depth } = props;
  const set = (patch: Partial<Group>) => onChange(updateNode(root, group.id, (n) => ({ ...(n as Group), ...patch })));
  const active = props.activeGroup === group.id;
  const label = depth === 0 ? t('builder.canvas') : `${t('builder.canvas')} ${depth + 1}`;
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      role="group"
      aria-label={label}
      data-testid={`group-${depth}`}
      style={{ borderColor: active ? 'var(--mantine-color-blue-8)' : undefined, borderWidth: active ? 2 : 1, borderLeftWidth: 4, borderLeftColor: group.exclude ? 'var(--mantine-color-red-8)' : 'var(--mantine-color-blue-8)' }}
      onDragOver={(e) => e.dataTransfer.types.includes(DRAG_TYPE) && e.preventDefault()}
      onDrop={(e) => {
        const path = e.dataTransfer.getData(DRAG_TYPE);
        if (!path) return;
        e.preventDefault();
        e.stopPropagation();
        props.onDropAttribute(group.id, path);
      }}
    >
      <Row justify="space-between" mb="xs" wrap="wrap" gap="xs">
        <Row gap="xs">
          <SegmentedControl
            size="xs"
            aria-label={`${label}: ${t('builder.groupMode')}`}
            value={group.exclude ? 'exclude' : 'include'}
            onChange={(v) => set({ exclude: v === 'exclude' })}
            data={[{ value: 'include', label: t('builder.include') }, { value: 'exclude', label: t('builder.exclude') }]}
          />
          <SegmentedControl
            size="xs"
            aria-label={`${label}: ${t('builder.combinator')}`}
            value={group.combinator}
            onChange={(v) => set({ combinator: v as 'and' | 'or' })}
            data={[{ value: 'and', label: t('builder.all') }, { value: 'or', label: t('builder.any') }]}
          />
        </Row>
        <Row gap="xs">
          {props.root.children.some((c) => c.type === 'group') && <Radio size="xs" label={t('builder.activeGroup')} aria-label={`${label}: ${t('builder.activeGroup')}`} checked={active} onChange={() => props.onActivate(group.id)} />}
          <Button
            size="compact-xs"
            variant="light"
            onClick={() => {
              const g = emptyGroup();
              set({ children: [...group.children, g] });
              props.onActivate(g.id);
            }}
          >
            {t('builder.addGroup')}
          </Button>
          {depth > 0 && <CloseButton size="sm" aria-label={`${label}: ${t('builder.removeGroup')}`} onClick={() => onChange(updateNode(root, group.id, () => null))} />}
        </Row>
      </Row>
      <Stack gap="xs">
        {props.children}
        {group.children.map((c) =>
          c.type === 'group' ? <GroupBox key={c.id} {...props} group={c} depth={depth + 1} children={undefined} /> : <ConditionRow key={c.id} {...props} condition={c} />,
        )}
      </Stack>
    </Paper>
  );
}

function opLabel(t: (k: string) => string, op: CanvasOp, kind: FieldKind): string {
  if (kind === 'date' || kind === 'datetime') {
    if (op === '<') return t('ops.before');
    if (op === '>') return t('ops.after');
    if (op === '=') return t('ops.on');
  }
  return t(`ops.${op}`);
}

function ConditionRow(props: CanvasProps & { condition: Condition }) {
  const { t } = useTranslation([ns, 'common']);
  const { condition: c, root, onChange } = props;
  const attr = props.attributes.get(c.field);
  const kind: FieldKind = attr?.kind ?? 'string';
  const set = (patch: Partial<Condition>) => onChange(updateNode(root, c.id, (n) => ({ ...(n as Condition), ...patch })));
  const problem = props.errors.get(c.id) ?? (props.incomplete.has(c.id) ? t(`builder.${props.incomplete.get(c.id)}`) : undefined);
  const ops = OPS_BY_KIND[kind].includes(c.op) ? OPS_BY_KIND[kind] : [...OPS_BY_KIND[kind], c.op];
  const valueLabel = `${c.field} ${t('builder.value')}`;
  const inputType = kind === 'number' || kind === 'integer' ? 'number' : kind === 'date' ? 'date' : kind === 'datetime' ? 'datetime-local' : 'text';
  const single = (value: string, onValue: (v: string) => void, label: string, w = 200) =>
    attr?.enum && kind === 'string' ? (
      <Select aria-label={label} data={attr.enum} value={value || null} onChange={(v) => onValue(v ?? '')} searchable w={w} error={problem ? true : undefined} />
    ) : (
      <TextInput aria-label={label} type={inputType} value={value} onChange={(e) => onValue(e.currentTarget.value)} w={w} error={problem ? true : undefined} />
    );
  let input: React.ReactNode = null;
  if (c.raw !== undefined) {
    input = (
      <Stack gap={2}>
        <Code>{toText(c.raw as Json)}</Code>
        <Text size="xs" c="dimmed">{t('builder.unsupported')}</Text>
      </Stack>
    );
  } else if (c.op === 'in' || c.op === 'notIn' || c.op === 'intersects') {
    input = attr?.enum ? (
      <MultiSelect aria-label={`${c.field} ${t('builder.values')}`} data={attr.enum} value={c.values} onChange={(values) => set({ values })} searchable w={320} error={problem ? true : undefined} />
    ) : (
      <TagsInput aria-label={`${c.field} ${t('builder.values')}`} placeholder={t('builder.valuesHint')} value={c.values} onChange={(values) => set({ values })} w={320} error={problem ? true : undefined} />
    );
  } else if (c.op === 'between') {
    input = (
      <Row gap={4} wrap="nowrap">
        {single(c.value, (value) => set({ value }), valueLabel, 140)}
        <Text size="sm">~</Text>
        {single(c.value2, (value2) => set({ value2 }), `${c.field} ${t('builder.valueTo')}`, 140)}
      </Row>
    );
  } else if (c.op === 'inLastDays') {
    input = <TextInput aria-label={valueLabel} type="number" min={0} value={c.value} onChange={(e) => set({ value: e.currentTarget.value })} w={120} rightSection={<Text size="xs">{t('builder.days')}</Text>} error={problem ? true : undefined} />;
  } else if (!['isNull', 'isNotNull', 'isTrue', 'isFalse'].includes(c.op)) {
    input = single(c.value, (value) => set({ value }), valueLabel);
  }
  return (
    <Paper withBorder p="xs" radius="sm" data-testid={`condition-${c.field}`} bg="var(--mantine-color-body)">
      <Row gap="xs" wrap="nowrap" justify="space-between">
        <Row gap={6} wrap="nowrap">
          <Code style={{ wordBreak: 'break-all' }}>{c.field}</Code>
          <Badge size="xs" variant="outline" color="gray">{t(`kinds.${kind}`)}</Badge>
        </Row>
        <ActionIcon variant="subtle" color="gray" aria-label={`${c.field}: ${t('builder.removeCondition')}`} onClick={() => onChange(updateNode(root, c.id, () => null))}>
          ×
        </ActionIcon>
      </Row>
      <Row gap="xs" wrap="wrap" align="flex-start" mt={6}>
        {c.raw === undefined && (
          <Select
            aria-label={`${c.field} ${t('builder.operator')}`}
            data={ops.map((op) => ({ value: op, label: opLabel(t, op, kind) }))}
            value={c.op}
            onChange={(v) => v && set({ op: v as CanvasOp, ...(v === 'isTrue' || v === 'isFalse' ? { value: '' } : {}) })}
            allowDeselect={false}
            w={170}
          />
        )}
        {input}
      </Row>
      {problem && (
        <Text size="xs" c="red.8" mt={4} role="alert" data-testid="condition-error">
          {problem}
        </Text>
      )}
    </Paper>
  );
}

