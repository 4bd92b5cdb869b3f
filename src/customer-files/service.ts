/**
 * Customer files (고객파일): an advertiser's own ADIDs uploaded as a CSV and used as a target.
 * Three steps as on the Kakao screens: download the template → upload the file and read the
 * de-identification result (비식별 코드화: success / failure / duplicate counts, failed rows) → save
 * it under a unique name. The population (모수) is the number of distinct people of the account's
 * universe owning any of its ADIDs; it is counted in the background (준비중 until then, 등록실패
 * when counting fails for good) and refreshed daily. Names, the limit of 30 and usage are the
 * target registry's.
 */
import type { Readable } from 'node:stream';
import type { Db } from '../core/db';
import type { Clock } from '../core/clock';
import type { Caller } from '../core/types';
import { normalizeDeviceId } from '../namespaces/identity';
import { DAY_MS, PopulationSource, PopulationState } from '../populations/service';
import type { TargetBase, TargetRow, TargetService, TargetUser } from '../targets/service';
import type { UniverseService } from '../universe/service';
import { templateCsv, toCounts, toUploadView, UploadCounts, UploadEncoding, UploadRow, UploadSpec, UploadStore, UploadView } from './uploads';

/** Below this many people a customer file shows 모수부족 (too small); Meta and Google ask for 100. */
export const CUSTOMER_FILE_MINIMUM = 100;
const KIND = 'customer_file';
const BASE = '/v1/targets/customer-files';

/** Kakao's customer file status enum, derived from the population state. */
export type CustomerFileStatus = 'WAITING' | 'COMPLETE' | 'ERROR' | 'MODIFYING';

const STATUS_OF: Record<PopulationState, CustomerFileStatus> = {
  preparing: 'WAITING',
  ready: 'COMPLETE',
  too_small: 'COMPLETE',
  failed: 'ERROR',
  querying: 'MODIFYING',
  query_failed: 'COMPLETE',
};

export interface CustomerFile extends TargetBase {
  status: CustomerFileStatus;
  /** ADIDs registered (the upload's distinct valid ADIDs). */
  adidCount: number;
  upload: { id: string; fileName: string | null; encoding: string; bytes: number; counts: UploadCounts };
  usage: TargetUser[];
}

/** Names of the ADID column a customer file may use (compared ignoring case, spaces, `_`, `-`). */
export const ADID_HEADERS = ['adid', 'ADID', '광고식별자', 'ad_id', 'gaid', 'idfa'] as const;

const SPEC: UploadSpec = {
  kind: KIND,
  identifierType: 'ADID',
  header: 'adid',
  headerNames: ADID_HEADERS,
  noun: 'ADID',
  nodeKind: 'adid',
  normalize: normalizeDeviceId,
  templateUrl: `${BASE}/template`,
};

export class CustomerFileService {
  private readonly uploads: UploadStore;

  constructor(
    private readonly db: Db,
    private readonly targets: TargetService,
    private readonly universe: UniverseService,
    clock: Clock,
  ) {
    this.uploads = new UploadStore(db, clock);
  }

  /** Customer files' populations (services.ts registers it). */
  readonly populationSources: PopulationSource[] = [
    {
      type: KIND,
      // The entries by their upload id (unique by the primary key); peopleOfNodes picks probes or
      // one join by their exact number, whatever the statistics know of this upload.
      people: async (q, adAccountId, subjectId) => {
        const { nodes } = await this.uploads.savedEntries(q, adAccountId, subjectId);
        return this.universe.peopleOfNodes(adAccountId, nodes, { unique: true });
      },
    },
  ];

  /** Step 1: the CSV template: the `adid` column, a memo column (to show others are ignored), one example. */
  template(): string {
    return templateCsv('adid,메모', ['3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d,메모 열은 읽지 않습니다']);
  }

  /** Step 2: reads the file (streamed) and answers the de-identification result. */
  async upload(caller: Caller, body: Readable, opts: { contentLength?: number; encoding?: UploadEncoding; fileName?: string }): Promise<UploadView> {
    const row = await this.uploads.ingest(caller, SPEC, { body, ...opts });
    return this.uploadView(row);
  }

  async getUpload(caller: Caller, id: string): Promise<UploadView> {
    return this.uploadView(await this.uploads.find(this.db, caller, KIND, id));
  }

  failures(caller: Caller, id: string): Promise<Readable> {
    return this.uploads.failures(caller, KIND, id);
  }

  /** Step 3: saves an upload as a customer file; its population is counted in the background. */
  async create(caller: Caller, input: { uploadId: string; name: string }): Promise<CustomerFile> {
    const row = await this.db.transaction(async (tx) => {
      const upload = await this.uploads.claim(tx, caller, KIND, input.uploadId, '/uploadId', 'customer file');
      const target = await this.targets.create(tx, caller, {
        kind: KIND,
        name: input.name,
        settings: { uploadId: upload.id },
        cadenceMs: DAY_MS,
        minimum: CUSTOMER_FILE_MINIMUM,
      });
      await this.uploads.markSaved(tx, upload.id, target.id);
      return target;
    });
    await this.targets.queueCount(row.id);
    return this.get(caller, row.id);
  }

  async list(caller: Caller): Promise<CustomerFile[]> {
    return this.dtos(caller, await this.targets.list(this.db, caller, KIND));
  }

  async get(caller: Caller, id: string): Promise<CustomerFile> {
    return (await this.dtos(caller, [await this.targets.find(this.db, caller, KIND, id)]))[0];
  }

  async rename(caller: Caller, id: string, name: string): Promise<CustomerFile> {
    await this.db.transaction((tx) => this.targets.rename(tx, caller, KIND, id, name));
    return this.get(caller, id);
  }

  /** Refused while an ad group uses it; the upload and its ADIDs go with it. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, KIND, id);
  }

  /** Unsaved uploads of every kind older than 24 hours (the purge job). */
  purgeExpiredUploads(): Promise<number> {
    return this.uploads.purgeExpired();
  }

  private uploadView(row: UploadRow): UploadView {
    return toUploadView(row, `${BASE}/uploads/${row.id}/failures`);
  }

  private async dtos(caller: Caller, rows: TargetRow[]): Promise<CustomerFile[]> {
    const [bases, uploads, usage] = await Promise.all([
      this.targets.bases(this.db, rows, '등록실패'),
      this.uploads.ofTarget(this.db, rows.map((r) => r.id)),
      this.targets.usageOf(this.db, caller, rows.map((r) => r.id)),
    ]);
    return bases.map((base) => {
      const upload = uploads.get(base.id);
      const counts = upload ? toCounts(upload) : { received: 0, succeeded: 0, failed: 0, duplicates: 0 };
      return {
        ...base,
        status: STATUS_OF[base.population.state],
        adidCount: counts.succeeded,
        upload: {
          id: upload?.id ?? '',
          fileName: upload?.file_name ?? null,
          encoding: upload?.encoding ?? 'utf-8',
          bytes: Number(upload?.bytes ?? 0),
          counts,
        },
        usage: usage.get(base.id) ?? [],
      };
    });
  }
}
