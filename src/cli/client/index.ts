/**
 * The client commands of `cdp`: they call a running service over HTTP (CDP_URL and CDP_API_KEY, or
 * what `cdp login` saved) instead of opening the database, so data engineers can script them from
 * anywhere the API is reachable. One file per resource group.
 */
import type { Command } from 'commander';
import { addAudienceCommands } from './audiences';
import { addDatasetCommands } from './datasets';
import { addLoginCommands } from './login';
import { addRunCommands } from './runs';

export function addClientCommands(program: Command, version: string): void {
  addLoginCommands(program, version);
  addDatasetCommands(program, version);
  addRunCommands(program, version);
  addAudienceCommands(program, version);
}
