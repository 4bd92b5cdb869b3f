/** A button the signed-in role may not use: disabled, with the reason as its tooltip. */
import { Button, ButtonProps, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import { useCan } from '../shell/auth';

export function GuardedButton({ permission, children, onClick, ...rest }: ButtonProps & { permission: string; children: ReactNode; onClick?: () => void; type?: 'button' | 'submit' }) {
  const can = useCan(permission);
  if (can.allowed) return <Button onClick={onClick} {...rest}>{children}</Button>;
  return (
    <Tooltip label={can.reason} multiline w={280}>
      <Button {...rest} disabled data-disabled-reason={can.reason} aria-description={can.reason}>
        {children}
      </Button>
    </Tooltip>
  );
}
