/**
 * The service process's V8 settings, each measured (issue 18; README, Performance).
 *
 * Allocation-site pretenuring off. V8 allocates objects from an allocation site straight into the
 * old generation once most of them survived young-generation collections, and keeps that decision.
 * After a dataset load the record reader's per-row objects (CsvScanner.endRecord) were allocated
 * that way, so a 200 MB customer file uploaded later in the same process put 0.9 GB of short-lived
 * rows in the old generation: a 150–160 MB heap and +40–57 MB RSS, against a 48–54 MB heap
 * without the decision. Turned off, loads were not slower (1M × 23 columns: 23.3 s against 26.4 s).
 *
 * The old generation may grow by half before the next full collection. With the service's ~60 MB
 * heap V8 picks its smallest growing factor (1.1: `--trace-gc-verbose` says "factor 1.1 based on
 * mu=0.970"), which leaves less room than its young generation, so it starts marking again as soon
 * as a full collection ends: 120–130 mark-compacts of the whole heap in a 1M-row load, each freeing
 * about 1 MB, their concurrent marking ~0.45 of a core. At 50 %: ~45 of them, the load's CPU
 * 14.1 → 11.0 s (medians of three runs each), the peak RSS the same.
 *
 * Both apply from the first allocation, so they are set before the service starts; a node started
 * with either flag of its own keeps it.
 *
 * A young generation of 4 MB semi-spaces (V8's default grows to 16 MB): the larger old-generation
 * limit alone raised an export's peak RSS 251 → 268 MB (the goal is 256); with the smaller young
 * generation it peaked at 246 MB, and the load kept its gain. V8 sizes the young generation when the
 * process starts, so this one is a command-line flag: SERVICE_NODE_FLAGS, given by `npm start`,
 * `npm run worker` and `npm run demo` (package.json; a test keeps them the same).
 */
import { setFlagsFromString } from 'node:v8';

/** Node flags the service's processes start with (package.json scripts; the benchmarks' processes). */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4'] as const;

let applied = false;

const SETTINGS: { flag: string; names: string[] }[] = [
  { flag: '--no-allocation-site-pretenuring', names: ['allocation-site-pretenuring', 'allocation_site_pretenuring'] },
  { flag: '--heap-growing-percent=50', names: ['heap-growing-percent', 'heap_growing_percent'] },
];

export function tuneGarbageCollector(execArgv: readonly string[] = process.execArgv): void {
  if (applied) return;
  applied = true;
  for (const s of SETTINGS) {
    if (!execArgv.some((a) => s.names.some((n) => a.includes(n)))) setFlagsFromString(s.flag);
  }
}
