/**
 * The Segment Builder: attributes rail | rule canvas with its text mode | properties rail (name,
 * daily evaluation, live estimate with a sample). The canvas is the rule unless the marketer types
 * in the text mode: then the text is the rule, and the API's parse of it (the estimate answers the
 * rule's JSON form) is drawn back on the canvas.
 */
import { Alert, Grid, Group, Paper, Stack, Switch, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { GuardedButton } from '../../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { useNamespaces, useProspectAttributes } from '../api';
import { ns } from '../i18n';
import type { Audience, AudienceStatus, Estimate } from '../types';
import { AttributeRail } from './AttributeRail';
import { fieldsOfRule } from '../insights/api';
import { InsightsPanel } from '../insights/InsightsPanel';
import { EstimatePanel } from './EstimatePanel';
import { Attribute, compile, emptyGroup, FieldKind, findNode, fromJson, Group as CanvasGroup, Json, newCondition, nodeAt, toText, updateNode } from './model';
import { RuleCanvas } from './RuleCanvas';

type Rule = Json | string;

/** The live estimate asks for the sample too (View profiles); the total needs the count only. */
function postEstimate(rule: Rule, sample: boolean): Promise<Estimate> {
  return unwrap<Estimate>(api.POST('/v1/audiences/estimate', { body: { rule: rule as never, sample } }));
}

export function Builder({ audience }: { audience?: Audience }) {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { attributes, primaries, error: attrError } = useProspectAttributes();
  const namespaces = useNamespaces();
  const byPath = useMemo(() => new Map(attributes.map((a) => [a.path, a])), [attributes]);
  const kindOf = useMemo(() => (path: string): FieldKind => byPath.get(path)?.kind ?? 'string', [byPath]);

  const [root, setRoot] = useState<CanvasGroup>(emptyGroup);
  const [loadedRule, setLoadedRule] = useState(false);
  const [activeGroup, setActiveGroup] = useState(root.id);
  const [mode, setMode] = useState<'visual' | 'text'>('visual');
  const [source, setSource] = useState<'canvas' | 'text'>('canvas');
  const [text, setText] = useState('');
  const [name, setName] = useState(audience?.name ?? '');
  const [description, setDescription] = useState(audience?.description ?? '');
  const [daily, setDaily] = useState(audience?.schedule?.dailyAt ?? '');

  // An audience being edited is drawn once its attributes' types are known.
  useEffect(() => {
    if (!audience || loadedRule || attributes.length === 0) return;
    const g = fromJson(audience.rule.json as Json, kindOf);
    setRoot(g);
    setActiveGroup(g.id);
    setLoadedRule(true);
  }, [audience, loadedRule, attributes.length, kindOf]);

  const compiled = useMemo(() => compile(root, kindOf), [root, kindOf]);
  const canvasText = useMemo(() => (compiled.json ? toText(compiled.json) : ''), [compiled]);
  const rule: Rule | null = source === 'canvas' ? compiled.json : text.trim() ? text : null;
  const [debounced] = useDebouncedValue(rule, 400);
  const estimate = useQuery({ queryKey: ['audience-estimate', debounced, 'sample'], enabled: debounced !== null, queryFn: () => postEstimate(debounced!, true), placeholderData: keepPreviousData, retry: false });
  const totalRule = useMemo(() => (primaries.length ? (primaries.length === 1 ? { field: primaries[0], op: 'isNotNull' } : { or: primaries.map((p) => ({ field: p, op: 'isNotNull' })) }) : null), [primaries]);
  const total = useQuery({ queryKey: ['audience-estimate', totalRule], enabled: totalRule !== null, queryFn: () => postEstimate(totalRule!, false), retry: false });

  // The API's reading of typed text becomes the canvas (the text itself stays as typed).
  const parsed = source === 'text' && debounced === text && !estimate.isPlaceholderData ? estimate.data : undefined;
  useEffect(() => {
    if (!parsed) return;
    const g = fromJson(parsed.rule.json as Json, kindOf);
    setRoot(g);
    setActiveGroup(g.id);
  }, [parsed, kindOf]);

  const editCanvas = (next: CanvasGroup) => {
    setRoot(next);
    setSource('canvas');
  };
  const addAttribute = (groupId: string, a: Attribute | undefined) => {
    if (!a) return;
    const target = findNode(root, groupId)?.type === 'group' ? groupId : root.id;
    editCanvas(updateNode(root, target, (g) => ({ ...(g as CanvasGroup), children: [...(g as CanvasGroup).children, newCondition(a)] })));
    setMode('visual');
  };

  const save = useMutation({
    mutationFn: (status: AudienceStatus) => {
      const body = { name, description, rule: rule as never, status, schedule: daily ? { dailyAt: daily } : null };
      return audience
        ? unwrap<Audience>(api.PATCH('/v1/audiences/{id}', { params: { path: { id: audience.id } }, body }))
        : unwrap<Audience>(api.POST('/v1/audiences', { body }));
    },
    onSuccess: async (saved) => {
      await qc.invalidateQueries({ queryKey: ['audiences'] });
      navigate(`/audiences/${saved.id}`);
    },
  });

  // Problems of the rule (from the estimate or the save) on the conditions their pointers name.
  const ruleProblem = (save.error instanceof ApiProblem && save.error.errors.some((e) => e.pointer.startsWith('/rule')) ? save.error : undefined) ?? (estimate.error instanceof ApiProblem && !estimate.isFetching ? estimate.error : undefined);
  const nodeErrors = useMemo(() => {
    const m = new Map<string, string>();
    if (!ruleProblem || source !== 'canvas' || JSON.stringify(debounced) !== JSON.stringify(rule)) return m;
    for (const e of ruleProblem.errors) {
      const id = nodeAt(compiled.pointers, e.pointer);
      if (id && !m.has(id)) m.set(id, e.message);
    }
    return m;
  }, [ruleProblem, source, debounced, rule, compiled]);

  const shownText = source === 'canvas' ? canvasText : text;
  const blocked = rule === null ? t('builder.noRule') : source === 'canvas' && compiled.incomplete.size > 0 ? t('builder.incomplete') : undefined;
  const waiting = rule === null;
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>{audience ? t('builder.editTitle') : t('builder.title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <Group>
          {blocked && <Text size="sm" c="red.8" data-testid="save-blocked">{blocked}</Text>}
          <GuardedButton permission="audiences.write" variant="default" disabled={!!blocked} loading={save.isPending && save.variables === 'draft'} onClick={() => save.mutate('draft')}>
            {t('builder.saveDraft')}
          </GuardedButton>
          <GuardedButton permission="audiences.write" disabled={!!blocked} loading={save.isPending && save.variables === 'published'} onClick={() => save.mutate('published')}>
            {t('builder.publish')}
          </GuardedButton>
        </Group>
      </Group>
      <ProblemAlert error={attrError} />
      {save.error && !fieldError(save.error, '/name') ? <ProblemAlert error={save.error} /> : null}
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Paper withBorder p="sm" radius="md" component="aside" aria-label={t('builder.attributes')}>
            <AttributeRail attributes={attributes} onPick={(a) => addAttribute(activeGroup, a)} />
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Tabs value={mode} onChange={(v) => setMode((v as 'visual' | 'text') ?? 'visual')} keepMounted={false}>
            <Tabs.List mb="sm">
              <Tabs.Tab value="visual">{t('builder.visual')}</Tabs.Tab>
              <Tabs.Tab value="text">{t('builder.text')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="visual">
              <RuleCanvas
                root={root}
                onChange={editCanvas}
                attributes={byPath}
                activeGroup={activeGroup}
                onActivate={setActiveGroup}
                onDropAttribute={(g, path) => addAttribute(g, byPath.get(path))}
                errors={nodeErrors}
                incomplete={compiled.incomplete}
              />
              {source === 'text' && estimate.error ? <Alert color="yellow" mt="sm">{t('builder.textNotParsed')}</Alert> : null}
            </Tabs.Panel>
            <Tabs.Panel value="text">
              <Textarea
                label={t('builder.textLabel')}
                description={t('builder.textHint')}
                value={shownText}
                onChange={(e) => {
                  setText(e.currentTarget.value);
                  setSource('text');
                }}
                error={source === 'text' ? fieldError(estimate.error, '/rule') : undefined}
                autosize
                minRows={6}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                data-testid="rule-text"
              />
            </Tabs.Panel>
          </Tabs>
          {ruleProblem && nodeErrors.size === 0 && !(source === 'text' && fieldError(estimate.error, '/rule')) ? <ProblemAlert error={ruleProblem} /> : null}
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Stack>
            <Paper withBorder p="md" radius="md">
              <Stack gap="sm">
                <TextInput label={t('builder.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, '/name')} required />
                <Textarea label={t('builder.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} />
                <Switch label={t('builder.dailyEvaluation')} checked={daily !== ''} onChange={(e) => setDaily(e.currentTarget.checked ? '06:00' : '')} />
                {daily !== '' && <TextInput type="time" label={t('builder.dailyAtLabel')} value={daily} onChange={(e) => setDaily(e.currentTarget.value)} error={fieldError(save.error, '/schedule')} />}
              </Stack>
            </Paper>
            <EstimatePanel
              estimate={estimate.error ? undefined : estimate.data}
              failed={!!estimate.error}
              fetching={estimate.isFetching}
              waiting={waiting}
              total={total.data?.size}
              namespaces={namespaces.data ?? []}
              onRefresh={() => void estimate.refetch()}
            />
          </Stack>
        </Grid.Col>
      </Grid>
      {estimate.data && !estimate.error && debounced !== null && !waiting && (
        <InsightsPanel source={{ rule: estimate.data.rule.json as Json }} ruleFields={fieldsOfRule(estimate.data.rule.json)} />
      )}
    </Stack>
  );
}
