/**
 * The one way a screen takes a file from a person and streams it to the API (Add data, 고객파일,
 * 친구그룹): a drop zone with a choose button, a size limit checked before a byte is sent, a byte
 * progress bar, and the refusal shown in words. The screen says what to send and how to label it.
 */
import '@mantine/dropzone/styles.css';
import { Button, Progress, Stack, Text } from '@mantine/core';
import { Dropzone, FileRejection } from '@mantine/dropzone';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { formatBytes } from './format';
import { Notice } from './Notice';

export interface UploadProgress {
  sent: number;
  total: number;
}

export function useFileUpload<T>(opts: {
  /** Streams the file; report bytes sent through onProgress (uploadFile in api/client does). */
  send: (file: File, onProgress: (sent: number, total: number) => void) => Promise<T>;
  /** Files above it are refused here, with tooLarge's words. */
  maxBytes?: number;
  tooLarge?: (file: File) => string;
  /** Words for a file the drop zone refused (wrong type): the reason is the drop zone's. */
  rejected: (reason: string) => string;
  onSuccess?: (result: T) => void;
  onSettled?: () => unknown;
}) {
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (file: File) => {
      setProgress({ sent: 0, total: file.size });
      return opts.send(file, (sent, total) => setProgress({ sent, total }));
    },
    onSuccess: opts.onSuccess,
    onSettled: opts.onSettled,
  });
  const onDrop = (files: File[]) => {
    setRefused(null);
    mutation.reset();
    const file = files[0];
    if (!file) return;
    if (opts.maxBytes !== undefined && file.size > opts.maxBytes) {
      setRefused(opts.tooLarge?.(file) ?? `${file.name} (${formatBytes(file.size)})`);
      return;
    }
    mutation.mutate(file);
  };
  const onReject = (r: FileRejection[]) => setRefused(opts.rejected(r[0]?.errors.map((e) => e.message).join('; ') ?? ''));
  return { mutation, progress, refused, onDrop, onReject };
}

export type FileUpload = ReturnType<typeof useFileUpload>;

export function FileDrop({
  upload,
  accept,
  testId,
  disabled,
  reason,
  labels,
}: {
  upload: FileUpload;
  accept: Record<string, string[]>;
  testId: string;
  /** The role may not upload: the button says why (reason) as its title. */
  disabled?: boolean;
  reason?: string;
  labels: { dropHere: string; choose: string; hint: string };
}) {
  const openRef = useRef<() => void>(null);
  const busy = upload.mutation.isPending;
  return (
    <Dropzone openRef={openRef} onDrop={upload.onDrop} onReject={upload.onReject} accept={accept} multiple={false} activateOnClick={false} disabled={disabled || busy} loading={busy} data-testid={testId}>
      <Stack align="center" gap={6} py="md" style={{ pointerEvents: 'none' }}>
        <Text size="sm" ta="center">{labels.dropHere}</Text>
        <Button size="xs" style={{ pointerEvents: 'all' }} onClick={() => openRef.current?.()} disabled={disabled || busy} title={reason}>
          {labels.choose}
        </Button>
        <Text size="xs" c="dimmed" ta="center">{labels.hint}</Text>
      </Stack>
    </Dropzone>
  );
}

/** The refusal (too large, wrong type) and, while the file streams, its bytes; then "processing". */
export function UploadStatus({ upload, uploading, processing }: { upload: FileUpload; uploading: (sent: string, total: string) => string; processing: string }) {
  const { progress, refused, mutation } = upload;
  const sentAll = progress !== null && progress.sent >= progress.total;
  return (
    <>
      {refused && <Notice tone="danger" role="alert" data-testid="upload-refused">{refused}</Notice>}
      {progress && mutation.isPending && (
        <Stack gap={4}>
          <Progress value={progress.total ? (progress.sent / progress.total) * 100 : 0} animated={sentAll} aria-label={uploading(formatBytes(progress.sent), formatBytes(progress.total))} />
          <Text size="xs" data-testid="upload-progress">
            {sentAll ? processing : uploading(formatBytes(progress.sent), formatBytes(progress.total))}
          </Text>
        </Stack>
      )}
    </>
  );
}
