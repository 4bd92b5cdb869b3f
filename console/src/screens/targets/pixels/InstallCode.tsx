/**
 * 설치 코드 of a tracker: the script for a web page (a first-party cookie per visitor, a pageView on
 * load, cdpPixel(event, properties) for the rest, sent with navigator.sendBeacon as text/plain so no
 * preflight is needed) and, for apps and servers, the public collection endpoint and its beacon.
 */
import { Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CopyField } from '../../../ui/CopyField';
import { ns } from './i18n';

export function collectUrl(trackId: string): string {
  return `${window.location.origin}/v1/collect/${trackId}`;
}

export function webSnippet(trackId: string, name: string): string {
  return `<!-- 픽셀 & SDK: ${name.replace(/--/g, '—')} (track_id ${trackId}) -->
<script>
(function (w, d, endpoint) {
  var m = d.cookie.match(/(?:^|; )cdp_pixel_id=([^;]+)/);
  var id = m ? m[1] : (w.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + '.' + Math.random().toString(36).slice(2));
  if (!m) d.cookie = 'cdp_pixel_id=' + id + '; path=/; max-age=63072000; SameSite=Lax';
  var pixel = (w.cdpPixel = function (event, properties) {
    var e = { event: event, cookieId: id };
    if (pixel.user) e.appUserId = String(pixel.user);
    if (properties) e.properties = properties;
    var body = JSON.stringify(e);
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, body))) fetch(endpoint, { method: 'POST', body: body, keepalive: true, mode: 'no-cors' });
  });
  pixel('pageView');
})(window, document, '${collectUrl(trackId)}');
</script>`;
}

export function InstallCode({ trackId, name }: { trackId: string; name: string }) {
  const { t } = useTranslation(ns);
  return (
    <Stack gap="sm">
      <Title order={4}>{t('install.title')}</Title>
      <CopyField block value={webSnippet(trackId, name)} label={t('install.web')} data-testid="web-snippet" />
      <Text size="xs">{t('install.webHint')}</Text>
      <Text size="sm" fw={500}>{t('install.app')}</Text>
      <CopyField value={collectUrl(trackId)} label={t('install.app')} data-testid="collect-endpoint" />
      <Text size="xs">{t('install.appHint')}</Text>
      <Text size="sm" fw={500}>{t('install.beacon')}</Text>
      <CopyField value={`${collectUrl(trackId)}?event=pageView&adid={ADID}`} label={t('install.beacon')} />
    </Stack>
  );
}
