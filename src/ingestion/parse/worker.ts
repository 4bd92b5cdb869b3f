/**
 * A parse thread (pool.ts starts them): reads the blocks it is given (block.ts) and hands back
 * their COPY text, transferring the buffers rather than copying them. Keeps each file's compiled
 * spec until the pool releases it.
 */
import { parentPort } from 'node:worker_threads';
import { BlockSpec, compileSpec, CompiledSpec, readBlock } from './block';
import type { ThreadReply, ThreadTask } from './pool';

const specs = new Map<string, CompiledSpec>();

function run(task: Extract<ThreadTask, { kind: 'block' }>): ThreadReply {
  if (task.spec) specs.set(task.spec.id, compileSpec(task.spec as BlockSpec));
  const compiled = specs.get(task.specId);
  if (!compiled) throw new Error(`no spec ${task.specId} in this parse thread`);
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const r = readBlock(compiled, bytes, task.firstRow, task.rows);
  return { kind: 'done', seq: task.seq, chunks: r.chunks, errors: r.errors, input: r.input, ok: r.ok, failed: r.failed };
}

parentPort!.on('message', (task: ThreadTask) => {
  if (task.kind === 'release') {
    specs.delete(task.specId);
    return;
  }
  let reply: ThreadReply;
  try {
    reply = run(task);
  } catch (err) {
    parentPort!.postMessage({ kind: 'failed', seq: task.seq, message: (err as Error).message } satisfies ThreadReply);
    return;
  }
  // The batcher's chunks own their memory (never Buffer's shared pool): safe to transfer.
  const r = reply as Extract<ThreadReply, { kind: 'done' }>;
  parentPort!.postMessage(reply, r.chunks.map((c) => c.buffer as ArrayBuffer));
});
