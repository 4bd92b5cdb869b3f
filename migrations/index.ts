/**
 * Ordered list of schema migrations. Add new files here; never edit one that has shipped.
 * Each runs in its own transaction and is recorded in knex_migrations.
 */
import type { Knex } from 'knex';
import * as foundation from './20261123_001_foundation';
import * as datasets from './20261123_002_datasets';
import * as sources from './20261123_003_sources';
import * as audiences from './20261123_004_audiences';
import * as activation from './20261123_005_activation';
import * as firstPartyCore from './20261123_006_first_party_core';
import * as talkChannels from './20261123_007_talk_channels';
import * as trackersMat from './20261123_008_trackers_mat';
import * as campaigns from './20261123_009_campaigns';
import * as scheduler from './20261123_010_scheduler';
import * as lookalikes from './20261123_011_lookalikes';
import * as firstPartyActivation from './20261123_012_first_party_activation';
import * as audienceMembersUnchecked from './20261123_013_audience_members_unchecked';
import * as uploadEntriesWithoutFk from './20261123_014_upload_entries_without_fk';
import * as processOwnership from './20261202_015_process_ownership';
import * as scheduleRecurrence from './20261202_016_schedule_recurrence';
import * as eventIds from './20261202_017_event_ids';
import * as partitionedDatasets from './20261202_018_partitioned_datasets';
import * as trackerEventsLean from './20261202_019_tracker_events_lean';
import * as accountKeys from './20261203_020_account_keys';
import * as trackerKeys from './20261203_021_tracker_keys';
import * as datasetRidIndex from './20261204_022_dataset_rid_index';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: Migration[] = [
  { name: '20261123_001_foundation', ...foundation },
  { name: '20261123_002_datasets', ...datasets },
  { name: '20261123_003_sources', ...sources },
  { name: '20261123_004_audiences', ...audiences },
  { name: '20261123_005_activation', ...activation },
  { name: '20261123_006_first_party_core', ...firstPartyCore },
  { name: '20261123_007_talk_channels', ...talkChannels },
  { name: '20261123_008_trackers_mat', ...trackersMat },
  { name: '20261123_009_campaigns', ...campaigns },
  { name: '20261123_010_scheduler', ...scheduler },
  { name: '20261123_011_lookalikes', ...lookalikes },
  { name: '20261123_012_first_party_activation', ...firstPartyActivation },
  { name: '20261123_013_audience_members_unchecked', ...audienceMembersUnchecked },
  { name: '20261123_014_upload_entries_without_fk', ...uploadEntriesWithoutFk },
  { name: '20261202_015_process_ownership', ...processOwnership },
  { name: '20261202_016_schedule_recurrence', ...scheduleRecurrence },
  { name: '20261202_017_event_ids', ...eventIds },
  { name: '20261202_018_partitioned_datasets', ...partitionedDatasets },
  { name: '20261202_019_tracker_events_lean', ...trackerEventsLean },
  { name: '20261203_020_account_keys', ...accountKeys },
  { name: '20261203_021_tracker_keys', ...trackerKeys },
  { name: '20261204_022_dataset_rid_index', ...datasetRidIndex },
];
