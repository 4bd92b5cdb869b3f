/**
 * S3 file-name templates (Adobe's file name editor): the template's parts as chips, a button per
 * token to add it, and a live preview of the name. The expansion mirrors fileNameFromTemplate in
 * connectors/export-format.ts (tokens, UTC times, safe name parts) for display only; the dry-run
 * answers the exact names.
 */
import { Badge, Button, Code, Group, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { translations } from '../i18n';

export const FILE_NAME_TOKENS = ['destination', 'audienceId', 'audienceName', 'destinationInstance', 'yyyymmddHHMMss', 'datetime', 'timestamp', 'customText'] as const;
export const DEFAULT_TEMPLATE = '<destination>_segment<audienceId>_<yyyymmddHHMMss>.csv';

const fileNameNs = translations('fileName', {
  ko: {
    template: '파일 이름 템플릿',
    templateHint: '아래 항목을 눌러 템플릿에 추가합니다. 시각은 UTC입니다.',
    parts: '템플릿 구성',
    preview: '미리 보기',
    previewFor: '{{audience}}의 파일 이름',
    tokens: { destination: '대상 이름', audienceId: '대상자 ID', audienceName: '대상자 이름', destinationInstance: '대상 인스턴스 ID', yyyymmddHHMMss: '날짜와 시간 (yyyymmddHHMMss)', datetime: '날짜_시간', timestamp: 'Unix 시간', customText: '사용자 정의 텍스트' },
    missing: '{{token}} 값이 없습니다',
  },
  en: {
    template: 'File name template',
    templateHint: 'Press a part below to add it to the template. Times are UTC.',
    parts: 'Template parts',
    preview: 'Preview',
    previewFor: 'File name for {{audience}}',
    tokens: { destination: 'Destination name', audienceId: 'Audience ID', audienceName: 'Audience name', destinationInstance: 'Destination instance ID', yyyymmddHHMMss: 'Date and time (yyyymmddHHMMss)', datetime: 'Date_time', timestamp: 'Unix time', customText: 'Custom text' },
    missing: '{{token}} has no value',
  },
});

export interface FileNameTokens {
  destination: string;
  audienceId: string;
  audienceName?: string;
  destinationInstance?: string;
  customText?: string;
  at: Date;
}

function safeNamePart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^\.+/, '');
}

const pad = (n: number) => String(n).padStart(2, '0');
const compact = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;

/** The name a template gives, or the token that has no value. */
export function expandTemplate(template: string, tokens: FileNameTokens, gzip = false): { name: string } | { missing: string } {
  let missing: string | undefined;
  const expanded = template.replace(/<([A-Za-z]+)>/g, (whole, token: string) => {
    switch (token) {
      case 'destination':
      case 'audienceId':
      case 'audienceName':
      case 'destinationInstance':
      case 'customText': {
        const v = tokens[token as 'destination'];
        if (!v || v.trim() === '') missing ??= token;
        return v ?? '';
      }
      case 'yyyymmddHHMMss':
        return compact(tokens.at);
      case 'datetime':
        return `${compact(tokens.at).slice(0, 8)}_${compact(tokens.at).slice(8)}`;
      case 'timestamp':
        return String(Math.floor(tokens.at.getTime() / 1000));
      default:
        missing ??= token;
        return whole;
    }
  });
  if (missing) return { missing };
  const name = safeNamePart(expanded);
  return { name: gzip && !name.endsWith('.gz') ? `${name}.gz` : name };
}

/** The template split into literal text and tokens, for the chips. */
export function templateParts(template: string): { token: boolean; text: string }[] {
  return template.split(/(<[A-Za-z]+>)/).filter(Boolean).map((p) => ({ token: /^<[A-Za-z]+>$/.test(p), text: p }));
}

export function TemplateParts({ template }: { template: string }) {
  const { t } = useTranslation(fileNameNs);
  return (
    <Group gap={4} aria-label={t('parts')} role="list">
      {templateParts(template).map((p, i) =>
        p.token ? (
          <Badge key={i} role="listitem" variant="light" tt="none" title={t(`tokens.${p.text.slice(1, -1)}`, { defaultValue: p.text })}>
            {t(`tokens.${p.text.slice(1, -1)}`, { defaultValue: p.text })}
          </Badge>
        ) : (
          <Code key={i} role="listitem">{p.text}</Code>
        ),
      )}
    </Group>
  );
}

export function FileNamePreview({ template, tokens, gzip, audience }: { template: string; tokens: FileNameTokens; gzip: boolean; audience?: string }) {
  const { t } = useTranslation(fileNameNs);
  const r = expandTemplate(template, tokens, gzip);
  return (
    <div>
      <Text size="xs" c="dimmed">{audience ? t('previewFor', { audience }) : t('preview')}</Text>
      {'name' in r ? (
        <Code data-testid="file-name-preview">{r.name}</Code>
      ) : (
        <Text size="sm" c="red.8">{t('missing', { token: t(`tokens.${r.missing}`, { defaultValue: r.missing }) })}</Text>
      )}
    </div>
  );
}

/** Template input with a button per token and the live preview. */
export function FileNameEditor(props: { value: string; onChange: (v: string) => void; tokens: FileNameTokens; gzip: boolean; error?: string }) {
  const { t } = useTranslation(fileNameNs);
  return (
    <Stack gap="xs">
      <TextInput label={t('template')} description={t('templateHint')} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} error={props.error} />
      <Group gap={4}>
        {FILE_NAME_TOKENS.map((k) => (
          <Button key={k} size="compact-xs" variant="default" onClick={() => props.onChange(`${props.value}<${k}>`)}>
            + {t(`tokens.${k}`)}
          </Button>
        ))}
      </Group>
      <TemplateParts template={props.value} />
      <FileNamePreview template={props.value} tokens={props.tokens} gzip={props.gzip} />
    </Stack>
  );
}
