/** ① 채널 선택: the ad account's talk channels, one to pick (with its friend count). */
import { Anchor, Group, Loader, Radio, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatNumber } from '../../../i18n';
import { Notice } from '../../../ui/Notice';
import { ProblemAlert } from '../../../ui/Problem';
import { useChannels } from './api';
import { ns } from './i18n';

export function ChannelStep({ value, onChange }: { value: string | null; onChange: (id: string) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const channels = useChannels();
  if (channels.isPending) return <Loader aria-label={t('common:loading')} />;
  const items = channels.data?.items ?? [];
  return (
    <Stack gap="sm">
      <ProblemAlert error={channels.error} />
      {items.length === 0 && !channels.error ? (
        <Notice tone="info">
          {t('channelStep.none')}{' '}
          <Anchor component={Link} to="/targets/friend-groups/channels" size="sm">{t('channelStep.manage')}</Anchor>
        </Notice>
      ) : (
        <Radio.Group label={t('channelStep.label')} description={t('channelStep.hint')} value={value} onChange={onChange}>
          <Stack gap="xs" mt="xs">
            {items.map((c) => (
              <Radio.Card key={c.id} value={c.id} p="sm" radius="md" data-testid={`channel-${c.searchId}`}>
                <Group wrap="nowrap" align="flex-start">
                  <Radio.Indicator />
                  <div>
                    <Text size="sm" fw={500}>{c.name} <Text span size="sm">{c.searchId}</Text></Text>
                    <Text size="xs">{t('channelStep.friends', { n: formatNumber(c.friendCount) })}</Text>
                  </div>
                </Group>
              </Radio.Card>
            ))}
          </Stack>
        </Radio.Group>
      )}
    </Stack>
  );
}
