/** 업체별 Postback URL of a link code: each vendor's address and format, with a copy button. */
import { Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CopyField } from '../../../ui/CopyField';
import { ns } from './i18n';
import { LinkCode, MAT_VENDORS, postbackUrl } from './types';

export function PostbackUrls({ code }: { code: LinkCode }) {
  const { t } = useTranslation(ns);
  return (
    <Stack gap="xs">
      <div>
        <Title order={4}>{t('codeDetail.postbacks')}</Title>
        <Text size="xs" c="dimmed">{t('codeDetail.postbacksHint')}</Text>
      </div>
      <Table withTableBorder aria-label={t('codeDetail.postbacks')} data-testid="postback-urls">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('codeDetail.vendor')}</Table.Th>
            <Table.Th>{t('codeDetail.url')}</Table.Th>
            <Table.Th>{t('codeDetail.format')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {MAT_VENDORS.map((v) => (
            <Table.Tr key={v} data-vendor={v}>
              <Table.Td>{t(`vendors.${v}`)}</Table.Td>
              <Table.Td><CopyField value={postbackUrl(code, v)} label={`${t(`vendors.${v}`)} ${t('codeDetail.url')}`} data-testid={`postback-url-${v}`} /></Table.Td>
              <Table.Td><Text size="xs">{t(`codeDetail.formats.${v === 'appsflyer' || v === 'adjust' ? v : 'generic'}`)}</Text></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
