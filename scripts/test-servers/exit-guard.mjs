// Exit handlers: the servers of a guarded run die with this process, whether it exits, crashes
// (uncaught exceptions still run 'exit' handlers) or is stopped by a signal. SIGKILL leaves no
// handler to run: spawnServer's parent-death signal covers that.
import { signalGroup, spawnedGroups } from './processes.mjs';
import { removeRunDir } from './state.mjs';

const guarded = new Set(); // run dirs
let handlersInstalled = false;

export function guard(runDir) {
  guarded.add(runDir);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killGuardedNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killGuardedNow();
      process.removeListener(signal, onSignal);
      // With nobody else listening, die of the signal as if we had never caught it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export function unguard(runDir) {
  guarded.delete(runDir);
}

function killGuardedNow() {
  for (const runDir of guarded) {
    for (const pid of spawnedGroups(runDir)) signalGroup(pid, 'SIGKILL');
    try {
      removeRunDir(runDir);
    } catch {
      // the processes may still be writing; the OS temp dir is cleaned eventually
    }
  }
  guarded.clear();
}
