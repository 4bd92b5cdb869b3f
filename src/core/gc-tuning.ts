/**
 * One V8 setting for the service process: allocation-site pretenuring off.
 *
 * Why (issue 18, measured): V8 allocates objects from an allocation site straight into the old
 * generation once most of them survived young-generation collections, and keeps that decision.
 * After a dataset load the record reader's per-row objects (CsvScanner.endRecord) were allocated
 * that way, so a 200 MB customer file uploaded later in the same process put 0.9 GB of short-lived
 * rows in the old generation: a 150–160 MB heap and +40–57 MB RSS, against a 48–54 MB heap
 * without the decision (README, Performance, customer-file). Turned off, loads were not slower (1M × 23 columns: 23.3 s
 * against 26.4 s over SFTP). Applies from the first allocation, so it is set before the service
 * starts; a node started with its own pretenuring flag keeps it.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function tuneGarbageCollector(execArgv: readonly string[] = process.execArgv): void {
  if (applied) return;
  applied = true;
  if (execArgv.some((a) => a.includes('allocation-site-pretenuring') || a.includes('allocation_site_pretenuring'))) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
