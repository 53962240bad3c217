// amazon-ec2-metadata-mock (AWS's IMDS simulator, Go) on loopback, for the instance-notice tests.
// Built once from the Go module proxy into the test-server cache (go-tool.mjs, pinned below).
/* global fetch, AbortSignal */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGoTool } from './go-tool.mjs';
import { guard, unguard } from './exit-guard.mjs';
import { forgetGroup, freePorts, spawnServer, spawnedGroups, stopGroup, waitHealthy } from './processes.mjs';
import { RUN_DIR_PREFIX, removeRunDir, sweepDeadRunDirs, writeOwner } from './state.mjs';

/**
 * v1.13.0 is the newest tag, but proxy.golang.org as reached from here answers 403 for its zip
 * (and for the version list); v1.12.0 (2024-09) is served, and has everything the tests use:
 * IMDSv2, spot instance-action, rebalance recommendations and the ASG target lifecycle state.
 * `sum` is the module's go.sum line (sum.golang.org agrees); the main package is `./cmd` up to
 * v1.12.0 (`./cmd/ec2-metadata-mock` from v1.13.0).
 */
export const ec2MetadataMock = {
  module: 'github.com/aws/amazon-ec2-metadata-mock',
  version: 'v1.12.0',
  sum: 'h1:YjTAHMRy1iTrrp44ee4urbzL8b1+dBka5ieCEbHf6zw=',
  mainPackage: './cmd',
};

const defaultLog = (message) => process.stderr.write(`test-servers: ${message}\n`);
/** Builds the mock once (no-op when the cache is warm) and returns the binary's path. */
export function provisionEc2MetadataMock({ log = defaultLog } = {}) {
  return buildGoTool({
    ...ec2MetadataMock,
    name: 'ec2-metadata-mock',
    binaryName: 'ec2-metadata-mock',
    minGo: [1, 17],
    purpose: 'amazon-ec2-metadata-mock for the instance-notice tests',
    fix: 'install Go ≥ 1.17 (https://go.dev/dl, or apt-get install -y golang-go) or set FILESEARCH_TEST_GO to its go binary',
    log,
  });
}

/**
 * Starts the mock on 127.0.0.1 on a free port, IMDSv2 only (a request without a session token gets
 * 401). `args` choose what it mocks: a subcommand and its flags, e.g. `['spot', '-a', 'terminate',
 * '-t', time]`, `['asglifecycle', '--asg-termination-delay-sec', '3']`; none mocks everything.
 */
export async function startEc2MetadataMock({ args = [], owned = true, log = defaultLog } = {}) {
  const binary = await provisionEc2MetadataMock({ log });
  sweepDeadRunDirs();
  const runDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `${RUN_DIR_PREFIX}ec2-metadata-mock-`));
  if (owned) writeOwner(runDir);
  guard(runDir);
  const stopAll = async () => {
    await Promise.all(
      spawnedGroups(runDir).map(async (pid) => {
        await stopGroup(pid, { graceMs: 5000 });
        forgetGroup(runDir, pid);
      }),
    );
    removeRunDir(runDir);
    unguard(runDir);
  };
  const logFile = path.join(runDir, 'ec2-metadata-mock.log');
  try {
    for (let attempt = 1; ; attempt++) {
      const [port] = await freePorts(1);
      const pid = await spawnServer({
        command: binary,
        args: [...args, '--imdsv2', '--hostname', '127.0.0.1', '--port', String(port)],
        // It reads $HOME/aemm-config.json when present: give it an empty home.
        env: { ...process.env, HOME: runDir },
        cwd: runDir,
        logFile,
        owned,
        marker: runDir,
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitHealthy({ name: `amazon-ec2-metadata-mock ${ec2MetadataMock.version}`, pid, logFile, timeoutMs: 30_000, check: () => tokenOk(url) });
      } catch (error) {
        await stopGroup(pid, { graceMs: 0 });
        forgetGroup(runDir, pid);
        if (!error.portConflict || attempt === 2) throw error; // a free port was taken meanwhile: once more
        continue;
      }
      if (!owned) unguard(runDir);
      let stopping;
      return { url, port, pid, logFile, version: ec2MetadataMock.version, stop: () => (stopping ??= stopAll()) };
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function tokenOk(url) {
  const response = await fetch(`${url}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    signal: AbortSignal.timeout(3000),
  });
  return response.ok && (await response.text()).length > 0;
}
