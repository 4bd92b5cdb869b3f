/**
 * Create or edit a policy: name, description, marketing actions and the deny expression (builder +
 * the expression as text). New policies are saved as draft or enabled at once. Core policies show
 * their fixed actions and expression read-only; only name, description and status change.
 */
import { Alert, Anchor, Badge, Button, Code, Group, MultiSelect, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiProblem, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { GuardedButton } from '../../ui/Guarded';
import { useLabels } from '../../ui/labels';
import { useMarketingActions, useMarketingActionText } from '../../ui/marketing-actions';
import { Dialog } from '../../ui/Dialog';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { fieldMessage } from '../../ui/problem-text';
import { policyDescription, policyName } from '../../ui/policy-name';
import { Policy, policyKeys, PolicyStatus, usePolicy } from './api';
import { DenyBuilder } from './DenyBuilder';
import { emptyRoot, fromApi, GroupNode, problems, toApi, toText } from './expression';
import { ns } from './i18n';
import { StatusBadge, StatusToggle } from './PolicyList';

type Create = components['schemas']['governance-policy-create'];
type Update = components['schemas']['governance-policy-update'];

export function PolicyEditor() {
  const { id } = useParams();
  const policy = usePolicy(id);
  const { t } = useTranslation([ns, 'common']);
  if (id && policy.error) return <ProblemAlert error={policy.error} />;
  if (id && !policy.data) return <Text size="sm">{t('common:loading')}</Text>;
  return <Editor key={policy.data?.id ?? 'new'} policy={policy.data} />;
}

function Editor({ policy }: { policy?: Policy }) {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const labels = useLabels();
  const actions = useMarketingActions();
  const actionText = useMarketingActionText();
  // A core policy's default name and description are shown in the console's language and saved
  // only when edited (so they stay the default, worded for whoever reads them).
  const shownName = policy ? policyName(policy) : '';
  const shownDescription = policy ? policyDescription(policy) : '';
  const [name, setName] = useState(shownName);
  const [description, setDescription] = useState(shownDescription);
  const [chosen, setChosen] = useState<string[]>(policy?.marketingActions ?? []);
  const [root, setRoot] = useState<GroupNode>(() => (policy ? fromApi(policy.deny) : emptyRoot()));
  const [touched, setTouched] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const core = policy?.core === true;

  const { expr, pointers } = useMemo(() => toApi(root), [root]);
  const local = problems(root);

  const save = useMutation({
    mutationFn: async (status?: PolicyStatus) => {
      if (!policy) {
        const body = { name, marketingActions: chosen, deny: expr, status, ...(description ? { description } : {}) };
        return unwrap<Policy>(api.POST('/v1/policies', { body: body as unknown as Create }));
      }
      const edited = { ...(name !== shownName ? { name } : {}), ...(description !== shownDescription ? { description } : {}) };
      const body: Record<string, unknown> = core ? edited : { ...edited, marketingActions: chosen, deny: expr };
      return unwrap<Policy>(api.PATCH('/v1/policies/{id}', { params: { path: { id: policy.id } }, body: body as Update }));
    },
    onSuccess: async (saved) => {
      await qc.invalidateQueries({ queryKey: policyKeys.list });
      qc.setQueryData(policyKeys.one(saved.id), saved);
      navigate('/governance/policies');
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/policies/{id}', { params: { path: { id: policy!.id } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: policyKeys.list });
      navigate('/governance/policies');
    },
  });
  const err = save.error;

  // Builder problems (shown after a first save attempt) and the API's pointers, on their rows.
  const errors = new Map<string, string>();
  if (touched) for (const [nid, key] of local) errors.set(nid, t(`builder.${key}`));
  if (err instanceof ApiProblem) {
    for (const [nid, pointer] of pointers) {
      const own = err.errors.find((e) => e.pointer === pointer || e.pointer === `${pointer}/label` || e.pointer === `${pointer}/operands`);
      if (own) errors.set(nid, fieldMessage(own));
    }
  }
  useEffect(() => setTouched(false), [policy?.id]);

  const submit = (status?: PolicyStatus) => {
    setTouched(true);
    if (!core && local.size > 0) return;
    save.mutate(status);
  };

  const actionOptions = (actions.data ?? []).map((a) => ({ value: a.name, label: `${actionText.name(a)} (${a.name})` }));
  const actionNames = chosen.map((n) => {
    const a = actions.data?.find((x) => x.name === n);
    return a ? actionText.name(a) : n;
  });
  const otherError = err instanceof ApiProblem && !fieldError(err, '/name') && !fieldError(err, '/marketingActions') && !fieldError(err, '/deny');

  return (
    <Stack maw={1000}>
      <Anchor component={Link} to="/governance/policies" size="sm">← {t('policy.back')}</Anchor>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2}>{policy ? policyName(policy) : t('policy.newTitle')}</Title>
          {policy && <StatusBadge status={policy.status} />}
          {core && <Badge variant="default">{t('core')}</Badge>}
        </Group>
        {policy && (
          <Group gap="xs">
            <StatusToggle policy={policy} />
            {!core && (
              <GuardedButton permission="policies.write" variant="default" color="red" onClick={() => setDeleting(true)}>
                {t('policy.deletePolicy')}
              </GuardedButton>
            )}
          </Group>
        )}
      </Group>
      {core && <Alert color="blue" title={t('core')}>{t('policy.coreNotice')}</Alert>}
      <ProblemAlert error={labels.error ?? actions.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(policy ? undefined : 'DRAFT');
        }}
      >
        <Stack>
          <TextInput label={t('policy.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, '/name')} required maw={560} data-autofocus />
          <Textarea label={t('policy.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(err, '/description')} maw={560} autosize minRows={2} />
          {core ? (
            <Stack gap={4}>
              <Text size="sm" fw={500}>{t('policy.actions')}</Text>
              <Group gap={4}>{actionNames.map((n) => <Badge key={n} variant="light" tt="none">{n}</Badge>)}</Group>
            </Stack>
          ) : (
            <MultiSelect
              label={t('policy.actions')}
              description={t('policy.actionsHint')}
              data={actionOptions}
              value={chosen}
              onChange={setChosen}
              searchable
              required
              maw={720}
              error={fieldError(err, '/marketingActions')}
            />
          )}
          <Paper withBorder p="md">
            <Text size="sm" fw={500}>{t('policy.deny')}</Text>
            {!core && <Text size="xs" c="dimmed" mb="sm">{t('policy.denyHint')}</Text>}
            {!core && <DenyBuilder root={root} onChange={setRoot} labels={labels.data ?? []} errors={errors} />}
            <Group gap="xs" mt="sm" align="baseline">
              <Text size="sm" fw={500}>{t('policy.expression')}:</Text>
              <Code data-testid="deny-expression">{toText(expr)}</Code>
            </Group>
            <Text size="sm" mt={4}>{t('policy.sentence', { actions: actionNames.join(', ') || '—', expr: toText(expr) })}</Text>
            {err instanceof ApiProblem && fieldError(err, '/deny') && !core && errors.size === 0 && <Text size="sm" c="red.9">{fieldError(err, '/deny')}</Text>}
          </Paper>
          {touched && !core && local.size > 0 && <Text size="sm" c="red.9" role="alert">{t('policy.invalid')}</Text>}
          {otherError && <ProblemAlert error={err} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => navigate('/governance/policies')}>{t('common:cancel')}</Button>
            {policy ? (
              <GuardedButton permission="policies.write" type="submit" loading={save.isPending}>{t('policy.save')}</GuardedButton>
            ) : (
              <>
                <GuardedButton permission="policies.write" type="submit" variant="default" loading={save.isPending && save.variables === 'DRAFT'}>{t('policy.saveDraft')}</GuardedButton>
                <GuardedButton permission="policies.write" onClick={() => submit('ENABLED')} loading={save.isPending && save.variables === 'ENABLED'}>{t('policy.saveEnable')}</GuardedButton>
              </>
            )}
          </Group>
        </Stack>
      </form>
      <Dialog opened={deleting} onClose={() => setDeleting(false)} title={t('policy.deletePolicy')}>
        <Stack>
          <Text size="sm">{t('policy.deleteConfirm', { name: policy?.name })}</Text>
          <ProblemAlert error={remove.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(false)}>{t('common:cancel')}</Button>
            <Button color="red.9" onClick={() => remove.mutate()} loading={remove.isPending}>{t('common:delete')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}
