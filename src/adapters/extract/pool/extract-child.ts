import { defaultExtractors, ExtractorRegistry } from '../registry.js';
import { serializeError, type ChildMessage, type JobResult, type ParentMessage } from './protocol.js';

/**
 * An extraction child process (forked by ExtractionPool, leader of its own process group). It
 * builds the same extractors as the worker from the settings it is sent, then extracts one job at
 * a time. The parent kills the whole group on a deadline, so nothing here needs to time out.
 */

if (process.send === undefined) {
  process.stderr.write('extract-child: must be started by the extraction pool (child_process.fork with IPC)\n');
  process.exit(2);
}

let registry: ExtractorRegistry | undefined;

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The parent is gone (it exited or was SIGKILLed): take our own tools down with us. */
function orphaned(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
}

async function runJob(id: number, input: Extract<ParentMessage, { kind: 'job' }>['input']): Promise<void> {
  let result: JobResult;
  try {
    if (registry === undefined) throw new Error('extraction child received a job before its settings');
    const extraction = await registry.extract(input);
    result = { kind: 'result', id, ok: true, extraction, rss: process.memoryUsage().rss };
  } catch (err) {
    result = { kind: 'result', id, ok: false, error: serializeError(err), rss: process.memoryUsage().rss };
  }
  send(result);
}

process.on('disconnect', orphaned);
process.on('message', (message: ParentMessage) => {
  if (message.kind === 'init') {
    registry = new ExtractorRegistry(defaultExtractors(message.settings));
    send({ kind: 'ready', pid: process.pid });
  } else if (message.kind === 'job') {
    void runJob(message.id, message.input);
  }
});
