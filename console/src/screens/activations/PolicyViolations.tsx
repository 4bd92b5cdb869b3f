/**
 * A policy verdict as the review step and the activation page show it: on a violation, every
 * violated policy with the deny expression that matched, its labels and marketing actions, and the
 * lineage of those labels as a path (graph) and a list; otherwise the applied policies' labels.
 */
import { Alert, Anchor, Badge, Code, Group, List, Stack, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { LabelBadge, useLabels } from '../../ui/labels';
import { LineageGraph, LineageList } from '../../ui/Lineage';
import { useMarketingActionText } from '../../ui/marketing-actions';
import { policyName } from '../../ui/policy-name';
import { ns } from './i18n';
import type { DenyExpression, Verdict } from './types';

export function denyText(e: DenyExpression, nested = false): string {
  if ('label' in e) return e.label;
  const inner = e.operands.map((o) => denyText(o, true)).join(` ${e.operator} `);
  return nested && e.operands.length > 1 ? `(${inner})` : inner;
}

function useActionName() {
  const text = useMarketingActionText();
  return (m: string) => text.name({ name: m, displayName: m, description: '', core: true });
}

export function AppliedPolicies({ verdict }: { verdict: Verdict }) {
  const { t } = useTranslation([ns, 'common']);
  const labels = useLabels();
  const action = useActionName();
  return (
    <Stack gap={6}>
      <Text size="sm">{t('wizard.appliedHint')}</Text>
      <Group gap={4}>
        {verdict.marketingActions.map((m) => (
          <Badge key={m} variant="outline" tt="none">{action(m)}</Badge>
        ))}
      </Group>
      <Text size="xs" c="dimmed">{t('wizard.labelsChecked')}</Text>
      <Group gap={4}>{verdict.labels.length ? verdict.labels.map((l) => <LabelBadge key={l} code={l} catalog={labels.data} />) : '—'}</Group>
    </Stack>
  );
}

export function PolicyViolations({ verdict }: { verdict: Verdict }) {
  const { t } = useTranslation([ns, 'common']);
  const action = useActionName();
  const lineage = verdict.violations.flatMap((v) => v.lineage);
  return (
    <Stack data-testid="policy-violations">
      <Alert color="red" title={t('violation.title')} role="alert">
        <Text size="sm" mb="xs">{t('violation.intro')}</Text>
        <List spacing="xs" size="sm">
          {verdict.violations.map((v) => (
            <List.Item key={v.policy.id} data-testid="violated-policy">
              <Anchor component={Link} to={`/governance/policies/${v.policy.id}`} fw={600} size="sm" c="red.9" underline="always">{policyName(v.policy)}</Anchor>
              <Group gap={6} mt={4}>
                <Text size="xs">{t('violation.matched')}:</Text>
                <Code data-testid="matched-expression">{denyText(v.matched)}</Code>
                <Text size="xs">{t('violation.labels')}:</Text>
                {v.labels.map((l) => <Badge key={l} size="sm" variant="outline" color="red.9" tt="none">{l}</Badge>)}
                <Text size="xs">{t('violation.actions')}:</Text>
                {v.marketingActions.map((m) => <Badge key={m} size="sm" variant="outline" color="red.9" tt="none">{action(m)}</Badge>)}
              </Group>
            </List.Item>
          ))}
        </List>
      </Alert>
      <Text fw={600}>{t('violation.lineage')}</Text>
      <Tabs defaultValue="graph" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="graph">{t('violation.graph')}</Tabs.Tab>
          <Tabs.Tab value="list">{t('violation.list')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="graph" pt="sm">
          <LineageGraph entries={lineage} />
        </Tabs.Panel>
        <Tabs.Panel value="list" pt="sm">
          <LineageList entries={lineage} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
