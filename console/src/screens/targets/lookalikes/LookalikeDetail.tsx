/**
 * 유사타겟 상세: 타겟 정보 (name, 타겟 상태, SEED 종류 / 타겟 / 모수, size, 등록일시, 타겟 업데이트 일시,
 * next update), 타겟 모수, the model's held-out quality in words, the last build, 타겟 사용 현황 and
 * delete (refused while an ad group uses it).
 */
import { Anchor, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { Facts } from '../../../ui/Facts';
import { Notice } from '../../../ui/Notice';
import { LookalikeStatusBadge, PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUsageTable } from '../../../ui/TargetUsage';
import { useLookalike } from './api';
import { ns } from './i18n';
import { QualityPanel } from './Quality';
import { Lookalike, seedHref } from './types';

export function LookalikeDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const one = useLookalike(id);
  if (one.isPending) return <Loader aria-label={t('common:loading')} />;
  const l = one.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/lookalikes" size="sm">← {t('back')}</Anchor>
      <ProblemAlert error={one.error} />
      {l && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('detail')}</Title>
            <DeleteTargetButton
              name={l.name}
              onDelete={() => unwrap(api.DELETE('/v1/targets/lookalikes/{id}', { params: { path: { id } } }))}
              onDeleted={() => {
                void qc.invalidateQueries({ queryKey: ['targets'] });
                navigate('/targets/lookalikes');
              }}
            />
          </Group>
          <Title order={4}>{t('info')}</Title>
          <Info lookalike={l} />
          {l.error && <Notice tone="danger" title={t('error')}>{l.error}</Notice>}
          <Title order={4}>{t('quality')}</Title>
          <QualityPanel quality={l.quality} size={l.size} />
          {l.lastBuild && <LastBuild lookalike={l} />}
          <Title order={4}>{t('usage')}</Title>
          <TargetUsageTable usage={l.usage} />
        </>
      )}
    </Stack>
  );
}

function Info({ lookalike: l }: { lookalike: Lookalike }) {
  const { t } = useTranslation([ns, 'common']);
  const href = seedHref(l.seed);
  return (
    <Facts
      labelWidth={170}
      items={[
        [t('name'), <Text size="sm" data-testid="lookalike-name">{l.name}</Text>],
        [t('status'), <Group gap="xs"><LookalikeStatusBadge status={l.status} error={l.error} />{l.building && <Text size="xs">{t('building')}</Text>}</Group>],
        [t('population_'), <PopulationBadge population={l.population} />],
        [t('columns.seedType'), t(`seedTypes.${l.seed.type}`)],
        [t('seedTarget'), href ? <Anchor component={Link} to={href} size="sm">{l.seed.name}</Anchor> : l.seed.name],
        [t('seedPopulation'), t('people', { n: formatNumber(l.seed.population) })],
        [t('size'), t('sizeValue', { size: l.size })],
        [t('autoUpdate'), l.autoUpdate ? 'ON' : 'OFF'],
        [t('createdAt'), formatDate(l.createdAt)],
        [t('updatedAt'), formatDate(l.updatedAt)],
        [t('nextBuild'), l.nextBuildAt ? formatDate(l.nextBuildAt) : t('noNextBuild')],
      ]}
    />
  );
}

function LastBuild({ lookalike: l }: { lookalike: Lookalike }) {
  const { t } = useTranslation([ns, 'common']);
  const b = l.lastBuild!;
  // Behaviour features are `<source>:<value>` (src/*/service.ts …FeatureRecords); others are profile field paths.
  const featureLabel = (f: string) => {
    const m = /^(pixel|reaction|mat|friend):(.*)$/.exec(f);
    if (!m) return t('featureKinds.profile', { v: f });
    return t(`featureKinds.${m[1]}`, { v: m[1] === 'reaction' ? t(`reactions.${m[2]}`, { defaultValue: m[2] }) : m[2] });
  };
  return (
    <Stack gap="xs">
      <Text size="sm">
        <Text span fw={500}>{t('lastBuild')}: </Text>
        {t('lastBuildValue', { universe: formatNumber(b.universePeople), scored: formatNumber(b.scoredPeople), result: formatNumber(b.resultPeople), features: formatNumber(b.features), seconds: formatNumber(Math.round(b.durationMs / 100) / 10) })}
      </Text>
      {b.topFeatures.length > 0 && (
        <Table withTableBorder aria-label={t('topFeatures')} maw={640}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('feature')}</Table.Th>
              <Table.Th>{t('weight')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {b.topFeatures.map((f) => (
              <Table.Tr key={f.feature}>
                <Table.Td>{featureLabel(f.feature)}</Table.Td>
                <Table.Td>{`${f.weight > 0 ? '+' : ''}${formatNumber(Math.round(f.weight * 100) / 100)}`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
