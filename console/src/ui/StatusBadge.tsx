/**
 * A status as a filled badge in AA contrast (Mantine's light badges, and even filled green.9, are
 * below 4.5:1). Tones, not colours, so screens agree on what success or failure looks like.
 */
import { Badge, BadgeProps } from '@mantine/core';
import type { ReactNode } from 'react';

export type Tone = 'success' | 'danger' | 'active' | 'warning' | 'neutral';

// success: a darker green than Mantine's darkest (green.9 on white text is 4.37:1).
const COLORS: Record<Tone, string> = { success: '#1e6b30', danger: 'red.9', active: 'blue.8', warning: 'yellow.4', neutral: 'gray.7' };

export function StatusBadge({ tone, children, ...rest }: { tone: Tone; children: ReactNode } & Omit<BadgeProps, 'color' | 'variant'> & { 'data-testid'?: string }) {
  return (
    <Badge variant="filled" color={COLORS[tone]} autoContrast style={{ flexShrink: 0, minWidth: 'max-content' }} {...rest}>
      {children}
    </Badge>
  );
}
