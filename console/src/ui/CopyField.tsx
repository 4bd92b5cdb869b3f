/**
 * A value to copy somewhere else (고유코드, a postback URL, an install snippet): shown as code with a
 * 복사 button (Mantine's CopyButton) that says 복사됨 once the clipboard has it.
 */
import { Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { translations } from '../i18n';

const copyNs = translations('copy', {
  ko: { copy: '복사', copied: '복사됨', copyWhat: '{{what}} 복사' },
  en: { copy: 'Copy', copied: 'Copied', copyWhat: 'Copy {{what}}' },
});

export function CopyValue({ value, label, 'data-testid': testId }: { value: string; label: string; 'data-testid'?: string }) {
  const { t } = useTranslation(copyNs);
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button size="compact-xs" variant={copied ? 'filled' : 'default'} color={copied ? 'teal.9' : undefined} onClick={copy} aria-label={t('copyWhat', { what: label })} data-testid={testId}>
          {copied ? t('copied') : t('copy')}
        </Button>
      )}
    </CopyButton>
  );
}

/** One line (`block` for a snippet) with its copy button; `label` names it for the button and screen readers. */
export function CopyField({ value, label, block = false, 'data-testid': testId }: { value: string; label: string; block?: boolean; 'data-testid'?: string }) {
  if (block) {
    return (
      <Stack gap={4}>
        <Group justify="space-between">
          <Text size="sm" fw={500}>{label}</Text>
          <CopyValue value={value} label={label} />
        </Group>
        <Code block data-testid={testId} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{value}</Code>
      </Stack>
    );
  }
  return (
    <Group gap="xs" wrap="nowrap">
      <Code data-testid={testId} style={{ wordBreak: 'break-all' }}>{value}</Code>
      <CopyValue value={value} label={label} />
    </Group>
  );
}
