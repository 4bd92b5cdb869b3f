/**
 * The service's parse threads: CSV blocks are read into COPY text off the event loop, so the
 * JavaScript of a load (decoding, types, identity normalisation, schema validation, COPY encoding;
 * ~80 % of it) runs beside the thread that reads the file and writes COPY, and beside PostgreSQL.
 * `INGEST_PARSE_THREADS` threads, started on first use and kept; 0 reads blocks on the event loop
 * (the same code). A thread that dies fails the blocks it held — their file's load fails, the
 * process does not — and the next block starts a new one.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../core/root';
import type { RowError } from '../records/types';
import { BlockResult, BlockSpec, compileSpec, CompiledSpec, readBlock } from './block';

export type ThreadTask =
  | { kind: 'block'; seq: number; specId: string; spec?: BlockSpec; bytes: Uint8Array; firstRow: number; rows: number }
  | { kind: 'release'; specId: string };

export type ThreadReply =
  | { kind: 'done'; seq: number; chunks: Uint8Array[]; errors: RowError[][]; input: number; ok: number; failed: number }
  | { kind: 'failed'; seq: number; message: string };

interface Thread {
  worker: Worker;
  specs: Set<string>;
  pending: Map<number, { resolve: (r: BlockResult) => void; reject: (e: Error) => void }>;
  /** Set while the thread has nothing to do: it stops when this fires. */
  idle: NodeJS.Timeout | null;
}

/**
 * A thread with nothing to do for this long stops (its heap and isolate, ~30 MB each, go back), and
 * the next load starts one again (~50 ms): a service that loads a file now and then holds no threads.
 */
const IDLE_MS = 10_000;

/** The built thread script: tests run the TypeScript sources, whose thread is the build's (npm test builds first). */
function threadScript(): string {
  return __filename.endsWith('.ts') ? path.join(projectRoot(), 'dist', 'src', 'ingestion', 'parse', 'worker.js') : path.join(__dirname, 'worker.js');
}

/**
 * A thread holds one block in and its COPY text out (≈ 1–3 MB) and its compiled specs: small heaps
 * keep V8 from letting garbage pile up in each thread before it collects (RSS beside the service's).
 */
const THREAD_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

export class ParsePool {
  private readonly threads: Thread[] = [];
  private readonly inline = new Map<string, CompiledSpec>();
  private seq = 0;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Blocks a file may have in flight: enough to keep every thread busy while the file is read. */
  get window(): number {
    return Math.max(2, this.size * 2);
  }

  read(spec: BlockSpec, bytes: Buffer, firstRow: number, rows: number): Promise<BlockResult> {
    if (this.size === 0) {
      let compiled = this.inline.get(spec.id);
      if (!compiled) this.inline.set(spec.id, (compiled = compileSpec(spec)));
      try {
        return Promise.resolve(readBlock(compiled, bytes, firstRow, rows));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    if (this.closed) return Promise.reject(new Error('the parse threads are stopped'));
    const thread = this.pick();
    const seq = ++this.seq;
    const task: ThreadTask = { kind: 'block', seq, specId: spec.id, bytes, firstRow, rows };
    if (!thread.specs.has(spec.id)) {
      task.spec = spec;
      thread.specs.add(spec.id);
    }
    if (thread.idle) clearTimeout(thread.idle);
    thread.idle = null;
    return new Promise<BlockResult>((resolve, reject) => {
      thread.pending.set(seq, { resolve, reject });
      // The splitter made this block's buffer for it alone: moved, not copied.
      thread.worker.postMessage(task, [bytes.buffer as ArrayBuffer]);
    });
  }

  /** The file's load ended: the threads forget its spec. */
  release(specId: string): void {
    this.inline.delete(specId);
    for (const t of this.threads) {
      if (t.specs.delete(specId)) t.worker.postMessage({ kind: 'release', specId } satisfies ThreadTask);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  /** The least busy thread, or a new one while there are fewer than `size`. */
  private pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.threads) if (!best || t.pending.size < best.pending.size) best = t;
    if (best && (best.pending.size === 0 || this.threads.length >= this.size)) return best;
    return this.start();
  }

  private start(): Thread {
    const worker = new Worker(threadScript(), { resourceLimits: THREAD_LIMITS });
    worker.unref(); // an idle pool keeps no process alive
    const thread: Thread = { worker, specs: new Set(), pending: new Map(), idle: null };
    this.threads.push(thread);
    const leave = () => {
      const at = this.threads.indexOf(thread);
      if (at >= 0) this.threads.splice(at, 1);
    };
    worker.on('message', (m: ThreadReply) => {
      const p = thread.pending.get(m.seq);
      if (!p) return;
      thread.pending.delete(m.seq);
      if (m.kind === 'failed') p.reject(new Error(m.message));
      else p.resolve({ ...m, chunks: m.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)) });
      if (thread.pending.size === 0) {
        if (thread.idle) clearTimeout(thread.idle);
        thread.idle = setTimeout(() => {
          leave(); // no new block can reach it now
          void worker.terminate();
        }, this.idleMs);
        thread.idle.unref();
      }
    });
    const gone = (why: string) => {
      if (thread.idle) clearTimeout(thread.idle);
      leave();
      for (const p of thread.pending.values()) p.reject(new Error(`the parse thread stopped (${why})`));
      thread.pending.clear();
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    return thread;
  }
}
