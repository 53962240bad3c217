import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../src/cli/context.js';
import { loadConfig } from '../../src/config/config.js';
import { configKeys, configSchema } from '../../src/config/schema.js';
import { DEFAULT_EMF_NAMESPACE, EmfEmitter } from '../../src/runtime/emf.js';
import { WorkerMetrics } from '../../src/runtime/metrics.js';

/**
 * The deployment files checked by the tools that run them (systemd-analyze, shellcheck, packer
 * validate with the Amazon plugin) and against the code they deploy: the settings they write are
 * configuration keys, the stop timeout outlasts the drain, the dashboards show the metrics the
 * worker emits. A missing tool fails the test; nothing here skips.
 */

const root = path.resolve(import.meta.dirname, '..', '..');
const infra = path.join(root, 'infra');
const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
const drainDefault = configSchema.shape.DRAIN_TIMEOUT.parse(undefined);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { encoding: 'utf8', cwd: options.cwd ?? root, env: options.env ?? process.env, timeout: options.timeout ?? 60_000 });
  if (result.error !== undefined) throw new Error(`${cmd} could not run (${result.error.message}); install it — this test does not skip`);
  return result;
}

/** Like run, without blocking the event loop (for scripts that talk to a server in this process). */
function runAsync(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A unit file as section → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unitValue = (unit: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);
const unitNames = ['filesearch.service', 'filesearch-dlq-reprocess.service', 'filesearch-dlq-reprocess.timer'];
const units = Object.fromEntries(unitNames.map((n) => [n, parseUnit(read(`infra/systemd/${n}`))]));
const worker = units['filesearch.service'] as Map<string, Map<string, string[]>>;

/** A root with the host's system units, ours in /etc, and a stub at every path our units execute. */
function systemdRoot(name: string, edit: (unit: string, text: string) => string = (_u, t) => t): string {
  const dir = path.join(scratch, name);
  const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => fs.existsSync(path.join(d, 'sysinit.target')));
  if (systemUnits === undefined) throw new Error('no system unit directory with sysinit.target on this machine');
  fs.cpSync(systemUnits, path.join(dir, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  fs.mkdirSync(path.join(dir, 'etc/systemd/system'), { recursive: true });
  for (const unit of unitNames) {
    const text = edit(unit, read(`infra/systemd/${unit}`));
    fs.writeFileSync(path.join(dir, 'etc/systemd/system', unit), text);
    for (const [, command] of text.matchAll(/^Exec\w+=[-@+!:]*(\/\S+)/gm)) {
      fs.mkdirSync(path.join(dir, path.dirname(command as string)), { recursive: true });
      fs.writeFileSync(path.join(dir, command as string), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
  }
  return dir;
}

/** systemd-analyze verify's complaints about our units (it exits 0 on warnings, so read them). */
function verifyUnits(dir: string): string[] {
  const result = run('systemd-analyze', ['verify', `--root=${dir}`, ...unitNames]);
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const ours = lines.filter((l) => unitNames.some((u) => l.includes(u)));
  return result.status === 0 ? ours : [`exit ${result.status}`, ...lines];
}

describe('systemd units', () => {
  it('systemd-analyze verify accepts them, with the commands they run in place', () => {
    expect(verifyUnits(systemdRoot('verify'))).toEqual([]);
  });

  it('the same check fails on a misspelt directive and on a command that is not there', () => {
    const typo = systemdRoot('typo', (u, t) => (u === 'filesearch.service' ? t.replace('Restart=on-failure', 'Restart=sometimes\nRestartt=no') : t));
    expect(verifyUnits(typo).join('\n')).toMatch(/restart specifier[\s\S]*Unknown key/);
    const noBinary = systemdRoot('no-binary');
    fs.rmSync(path.join(noBinary, 'usr/local/bin/filesearch'));
    expect(verifyUnits(noBinary).join('\n')).toMatch(/filesearch is not executable/);
  });

  it('the worker: notify + watchdog, restart policy, stop timeout longer than the drain, no config restart loop', () => {
    const s = (key: string) => unitValue(worker, 'Service', key);
    expect([s('Type'), s('NotifyAccess'), s('Restart'), s('KillMode')]).toEqual(['notify', 'all', 'on-failure', 'mixed']);
    expect(Number(s('WatchdogSec'))).toBeGreaterThan(0);
    expect(Number(s('TimeoutStopSec'))).toBeGreaterThan(drainDefault);
    expect(s('RestartPreventExitStatus')).toBe(String(ExitCodes.Config));
    expect(unitValue(worker, 'Unit', 'StartLimitBurst')).toBe('5');
    expect(unitValue(worker, 'Unit', 'StartLimitIntervalSec')).toBe('600');
    expect(s('ExecStartPre')).toBe('/usr/local/libexec/filesearch/preflight-gate');
    expect(s('ExecStart')).toBe('/usr/local/bin/filesearch run');
    expect(s('EnvironmentFile')).toBe('/etc/filesearch/filesearch.env');
    expect(s('ReadWritePaths')).toBe('/var/lib/filesearch');
  });

  it('systemd-analyze security rates both services well sandboxed (exposure at most 2.5 of 10)', () => {
    const dir = systemdRoot('security');
    for (const unit of ['filesearch.service', 'filesearch-dlq-reprocess.service']) {
      const result = run('systemd-analyze', ['security', '--offline=yes', `--root=${dir}`, '--no-pager', unit]);
      const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(`${result.stdout}${result.stderr}`);
      expect(exposure, result.stderr).not.toBeNull();
      expect(Number(exposure?.[1])).toBeLessThanOrEqual(2.5);
    }
  });

  it('the DLQ timer runs `dlq reprocess` every 15 minutes and catches up after downtime', () => {
    const timer = units['filesearch-dlq-reprocess.timer'] as Map<string, Map<string, string[]>>;
    expect(unitValue(timer, 'Timer', 'OnCalendar')).toBe('*:0/15');
    expect(unitValue(timer, 'Timer', 'Persistent')).toBe('true');
    const service = units['filesearch-dlq-reprocess.service'] as Map<string, Map<string, string[]>>;
    expect(unitValue(service, 'Service', 'ExecStart')).toMatch(/^\/usr\/local\/bin\/filesearch dlq reprocess\b/);
  });
});

describe('the pre-flight gate (ExecStartPre)', () => {
  const gate = (env: Record<string, string>) => {
    const home = fs.mkdtempSync(path.join(scratch, 'gate-'));
    const base = { PATH: process.env['PATH'] ?? '', HOME: home, FILESEARCH_BIN: path.join(root, 'bin/filesearch.js'), FILESEARCH_HOME: home, TEMP_DIR: home, AWS_EC2_METADATA_DISABLED: 'true' };
    return run('bash', [path.join(infra, 'systemd/filesearch-preflight-gate.sh')], { env: { ...base, ...env } });
  };

  it('starts when every check passes', () => {
    const r = gate({});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('preflight-gate: ready');
  });

  it('refuses a FAIL that will not fix itself (missing OCR language data)', () => {
    const r = gate({ OCR_LANGUAGES: 'jpn+xyz' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not starting: tesseract');
  });

  it('lets `run` wait for servers that do not answer yet (transient FAILs)', () => {
    const dead = 'http://127.0.0.1:9';
    const r = gate({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', SQS_ENDPOINT: dead, SQS_QUEUE_URL: `${dead}/000000000000/q`, DLQ_QUEUE_URL: `${dead}/000000000000/d`, OPENSEARCH_ENDPOINT: dead });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run waits for .*index/);
  });

  it('passes a configuration error on to `run`, whose exit 78 stops systemd restarting it', () => {
    const r = gate({ SQS_MAX_MESSAGES: '99' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('will exit 78');
    const home = fs.mkdtempSync(path.join(scratch, 'run-'));
    const runResult = run(process.execPath, [path.join(root, 'bin/filesearch.js'), 'run'], { env: { PATH: process.env['PATH'] ?? '', FILESEARCH_HOME: home, SQS_MAX_MESSAGES: '99' } });
    expect(runResult.status).toBe(ExitCodes.Config);
  });
});

describe('scripts', () => {
  const shellScripts = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.sh') && !e.parentPath.includes('node_modules')).map((e) => path.relative(root, path.join(e.parentPath, e.name)));

  it('shellcheck finds nothing in any shell script of infra/ and scripts/', () => {
    const files = [...shellScripts('infra'), ...shellScripts('scripts')];
    expect(files).toEqual(expect.arrayContaining(['infra/packer/user-data.sh', 'infra/deploy/rolling-deploy.sh', 'scripts/infra/install-packer.sh', 'infra/systemd/filesearch-preflight-gate.sh']));
    const r = run('shellcheck', ['--format=gcc', ...files]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rolling-deploy --dry-run prints the rollout and calls nothing', () => {
    const bin = fs.mkdtempSync(path.join(scratch, 'bin-'));
    fs.writeFileSync(path.join(bin, 'aws'), '#!/bin/sh\necho "aws was called" >&2\nexit 99\n', { mode: 0o755 });
    const manifest = path.join(bin, 'manifest.json');
    const builds = [
      { packer_run_uuid: 'old', artifact_id: 'ap-northeast-1:ami-00000000000000001' },
      { packer_run_uuid: 'new', artifact_id: 'us-west-2:ami-0aaaaaaaaaaaaaaa2,ap-northeast-1:ami-0bbbbbbbbbbbbbbb2' },
    ];
    fs.writeFileSync(manifest, JSON.stringify({ builds, last_run_uuid: 'new' }));
    const args = ['--asg', 'filesearch-workers', '--manifest', manifest, '--region', 'ap-northeast-1', '--min-healthy', '90', '--checkpoints', '20,50', '--rollback-alarm', 'filesearch-dlq-not-empty', '--dry-run'];
    const r = run('bash', [path.join(infra, 'deploy/rolling-deploy.sh'), ...args], { env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    expect(r.stderr).not.toContain('aws was called');
    expect(r.status, r.stderr).toBe(0);
    const refresh = r.stdout.split('\n').find((l) => l.includes('start-instance-refresh')) ?? '';
    expect(r.stdout).toContain(`--launch-template-data '{"ImageId":"ami-0bbbbbbbbbbbbbbb2"}'`);
    const prefs = JSON.parse(/--preferences '([^']+)'/.exec(refresh)?.[1] ?? '{}') as Record<string, unknown>;
    expect(prefs).toMatchObject({ MinHealthyPercentage: 90, CheckpointPercentages: [20, 50], AutoRollback: true, AlarmSpecification: { Alarms: ['filesearch-dlq-not-empty'] } });
  });
});

describe('packer', () => {
  let packerEnv: NodeJS.ProcessEnv;
  beforeAll(() => {
    // Built from the Go module proxy on first use (minutes), cached afterwards.
    const exports = execFileSync(path.join(root, 'scripts/infra/install-packer.sh'), { encoding: 'utf8', timeout: 25 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
    packerEnv = { ...process.env, ...Object.fromEntries([...exports.matchAll(/^export (\w+)=(.*)$/gm)].map(([, k, v]) => [k, (v as string).replace(/^'|'$/g, '')])) };
  }, 30 * 60_000);

  it('validates the template with the Amazon plugin, and formats cleanly', () => {
    const packer = packerEnv['PACKER'] as string;
    const validate = run(packer, ['validate', 'infra/packer'], { env: packerEnv });
    expect(validate.stdout + validate.stderr).toContain('The configuration is valid');
    expect(validate.status).toBe(0);
    expect(run(packer, ['fmt', '-check', 'infra/packer'], { env: packerEnv }).status).toBe(0);
  });

  it('the plugin really checks the builder: a bad amazon-ebs setting fails validation', () => {
    const copy = path.join(scratch, 'packer-copy');
    fs.cpSync(path.join(infra, 'packer'), path.join(copy, 'infra/packer'), { recursive: true });
    fs.cpSync(path.join(infra, 'systemd'), path.join(copy, 'infra/systemd'), { recursive: true });
    const template = path.join(copy, 'infra/packer/filesearch.pkr.hcl');
    fs.writeFileSync(template, fs.readFileSync(template, 'utf8').replace('imds_support = "v2.0"', 'imds_support = "v3.0"'));
    const r = run(packerEnv['PACKER'] as string, ['validate', 'infra/packer'], { env: packerEnv, cwd: copy });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('imds_support');
  });
});

describe('user data', () => {
  let imds: http.Server;
  let endpoint: string;
  const tags: Record<string, string> = { 'aws:autoscaling:groupName': 'filesearch-workers', 'filesearch:LOG_LEVEL': 'debug', 'filesearch:NOT_A_KEY': 'x', 'filesearch:ssm-path': '/filesearch/test' };
  beforeAll(async () => {
    // A loopback stand-in for the EC2 instance metadata service (IMDSv2: token first).
    imds = http.createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('token-1');
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') return void res.writeHead(401).end();
      const item = decodeURIComponent((req.url ?? '').replace('/latest/meta-data/', ''));
      const answers: Record<string, string> = { 'instance-id': 'i-0123456789abcdef0', 'placement/region': 'ap-northeast-1', 'tags/instance': Object.keys(tags).join('\n') };
      const answer = answers[item] ?? (item.startsWith('tags/instance/') ? tags[item.slice('tags/instance/'.length)] : undefined);
      if (answer === undefined) return void res.writeHead(404).end();
      res.end(answer);
    });
    await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => imds.close(() => resolve())));

  it('writes an env file the worker loads: bootstrap < tags < SSM, instance defaults, unknown keys skipped', async () => {
    const dir = fs.mkdtempSync(path.join(scratch, 'user-data-'));
    const etc = path.join(dir, 'etc');
    fs.mkdirSync(etc);
    fs.writeFileSync(path.join(dir, 'config-keys'), `${configKeys.join('\n')}\n`);
    const bootstrap = ['SQS_QUEUE_URL=https://sqs.ap-northeast-1.amazonaws.com/123456789012/filesearch', 'DLQ_QUEUE_URL=https://sqs.ap-northeast-1.amazonaws.com/123456789012/filesearch-dlq', 'OPENSEARCH_ENDPOINT=https://search-x.ap-northeast-1.es.amazonaws.com', 'LOG_LEVEL=info', 'DRAIN_TIMEOUT=120', 'log_group=/filesearch/test'];
    fs.writeFileSync(path.join(etc, 'bootstrap.env'), `# from the launch template\n${bootstrap.join('\n')}\n`);
    // The aws CLI is not part of the CI image: this stand-in answers the one call user data makes.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const parameters = [{ Name: '/filesearch/test/OPENSEARCH_PASSWORD', Value: 'p@ss "w$rd" `x` \\ y' }, { Name: '/filesearch/test/OPENSEARCH_USERNAME', Value: 'worker' }];
    fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/sh\necho "$*" >"${dir}/aws-args"\ncat <<'EOF'\n${JSON.stringify({ Parameters: parameters })}\nEOF\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, FILESEARCH_ETC_DIR: etc, FILESEARCH_UNIT_DIR: path.join(dir, 'units'), FILESEARCH_KEYS_FILE: path.join(dir, 'config-keys'), AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint };
    const r = await runAsync('bash', [path.join(infra, 'packer/user-data.sh'), '--configure-only'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('NOT_A_KEY is not a configuration key');
    expect(fs.readFileSync(`${dir}/aws-args`, 'utf8')).toContain('ssm get-parameters-by-path --path /filesearch/test --recursive --with-decryption --region ap-northeast-1');

    const written = parseEnvironmentFile(fs.readFileSync(path.join(etc, 'filesearch.env'), 'utf8'));
    expect(Object.keys(written).filter((k) => !(configKeys as string[]).includes(k))).toEqual([]);
    expect(written).toMatchObject({ LOG_LEVEL: 'debug', WORKER_ID: 'i-0123456789abcdef0', AWS_REGION: 'ap-northeast-1', ASG_NAME: 'filesearch-workers', OPENSEARCH_PASSWORD: parameters[0]?.Value });
    const config = loadConfig({ env: written });
    expect(config.mode).toBe('aws');
    expect(config.openSearchAuth.kind).toBe('sigv4');

    const dropIn = fs.readFileSync(path.join(dir, 'units/filesearch.service.d/50-instance.conf'), 'utf8');
    expect(dropIn).toContain('TimeoutStopSec=150');
    expect(dropIn).toMatch(new RegExp(`CPUQuota=${os.availableParallelism() * 100 - 10}%`));
  });
});

/** systemd's EnvironmentFile= syntax as user data writes it: KEY=value or KEY="escaped value". */
function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m === null) continue;
    const raw = m[2] as string;
    out[m[1] as string] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return out;
}

describe('infrastructure and code do not drift', () => {
  // Names the worker reads besides its schema keys (src/config), and the AWS SDK's own.
  const readByConfig = [...fs.readdirSync(path.join(root, 'src/config')).flatMap((f) => [...read(`src/config/${f}`).matchAll(/env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)].map((m) => m[1] as string))];
  const awsStandard = ['AWS_PROFILE', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CA_BUNDLE', 'AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE', 'AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT'];
  const allowed = new Set<string>([...configKeys, ...readByConfig, ...awsStandard, 'PATH', 'HOME']);
  const unknown = (names: readonly string[]) => names.filter((n) => !allowed.has(n));
  const cfn = (file: string): string | undefined => (fs.existsSync(path.join(infra, 'cloudformation', file)) ? read(`infra/cloudformation/${file}`) : undefined);

  /** The worker settings a deployment file writes, by the form that file writes them in. */
  const settingsIn = {
    unit: (text: string) => [...text.matchAll(/^Environment=(.*)$/gm)].flatMap((m) => [...(m[1] as string).matchAll(/(?:^|\s)"?([A-Za-z_][A-Za-z0-9_]*)=/g)].map((k) => k[1] as string)),
    envFile: (text: string) => [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string),
    heredocToEnvFile: (text: string) => [...text.matchAll(/filesearch\.env\s*<<-?\s*['"]?(\w+)['"]?\n([\s\S]*?)\n\s*\1\b/g)].flatMap((m) => settingsIn.envFile((m[2] as string).replace(/^\s+/gm, ''))),
    dropIn: (text: string) => [...text.matchAll(/Environment=["']?([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] as string),
    tags: (text: string) => [...text.matchAll(/filesearch:([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string),
    userData: (text: string) => [...text.matchAll(/config\[([A-Z][A-Z0-9_]*)\]/g)].map((m) => m[1] as string),
    envCommand: (text: string) => text.replace(/\\\n/g, ' ').split('\n').filter((l) => /(?:^|\s)env(?:\s+-i)?\s+[A-Z][A-Z0-9_]*=/.test(l) && /filesearch\b/.test(l)).flatMap((l) => [...l.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1] as string)),
    terraformMap: (text: string, name: string) => settingsIn.envFile((new RegExp(`${name} = merge\\(\\{([\\s\\S]*?)\\}`).exec(text)?.[1] ?? '').replace(/^\s+/gm, '').replace(/ +=/g, '=')),
  };

  it('finds a name that is not a configuration key (the check can fail)', () => {
    expect(unknown(settingsIn.unit('Environment=FILESEARCH_HOME=/x "NOT_A_KEY=1"'))).toEqual(['NOT_A_KEY']);
    expect(unknown(settingsIn.heredocToEnvFile('cat > /etc/filesearch/filesearch.env <<ENV\n  SQS_QUEUE_URL=x\n  SQS_QUEUE=y\n  ENV\n'))).toEqual(['SQS_QUEUE']);
    expect(unknown(settingsIn.terraformMap('worker_env = merge({\n    AWS_REGION  = "x"\n    REGION = "y"\n  }, var.x)', 'worker_env'))).toEqual(['REGION']);
  });

  it('every setting in the units, env file, user data, Packer scripts, Terraform and CloudFormation is a configuration key', () => {
    const sources: Record<string, string[]> = {
      'systemd units': unitNames.flatMap((u) => settingsIn.unit(read(`infra/systemd/${u}`))),
      'filesearch.env.example': settingsIn.envFile(read('infra/systemd/filesearch.env.example')),
      'user-data.sh': [...settingsIn.userData(read('infra/packer/user-data.sh')), ...settingsIn.dropIn(read('infra/packer/user-data.sh'))],
      'packer scripts': fs.readdirSync(path.join(infra, 'packer/scripts')).flatMap((f) => settingsIn.envCommand(read(`infra/packer/scripts/${f}`))),
      'terraform worker_env': settingsIn.terraformMap(read('infra/terraform/main.tf'), 'worker_env'),
    };
    const workers = cfn('workers.yaml');
    if (workers !== undefined) sources['cloudformation workers.yaml'] = [...settingsIn.heredocToEnvFile(workers), ...settingsIn.dropIn(workers), ...settingsIn.tags(workers)];
    for (const [source, names] of Object.entries(sources)) {
      expect(names.length, `${source}: no settings found, so nothing was checked`).toBeGreaterThan(0);
      expect(unknown(names), source).toEqual([]);
    }
  });

  it('stop timeouts and lifecycle hooks outlast the drain; queue defaults match the worker', () => {
    const tf = read('infra/terraform/variables.tf');
    const tfDefault = (name: string) => Number(new RegExp(`variable "${name}" \\{[\\s\\S]*?default\\s*=\\s*(\\d+)`).exec(tf)?.[1]);
    expect(tfDefault('drain_timeout_seconds')).toBe(drainDefault);
    expect(tfDefault('lifecycle_heartbeat_timeout_seconds')).toBeGreaterThan(drainDefault + 30);
    expect(tfDefault('visibility_timeout_seconds')).toBe(configSchema.shape.SQS_VISIBILITY_TIMEOUT.parse(undefined));
    expect(tfDefault('max_receive_count')).toBe(configSchema.shape.MAX_RECEIVE_COUNT.parse(undefined));
    // user data: DRAIN_TIMEOUT + 30 s, never below the unit's own value.
    expect(read('infra/packer/user-data.sh')).toMatch(/stop_timeout=\$\(\( \$\{drain%\.\*\} \+ 30 \)\)/);
    const cfnDefault = (text: string | undefined, name: string) => Number(new RegExp(`\\n  ${name}:\\n(?:    .*\\n)*?    Default: '?(\\d+)`).exec(text ?? '')?.[1]);
    const workers = cfn('workers.yaml');
    if (workers !== undefined) {
      expect(cfnDefault(workers, 'DrainTimeoutSeconds')).toBe(drainDefault);
      expect(cfnDefault(workers, 'LifecycleHeartbeatTimeoutSeconds')).toBeGreaterThan(drainDefault + 30);
    }
    const queues = cfn('queues.yaml');
    if (queues !== undefined) expect(cfnDefault(queues, 'VisibilityTimeoutSeconds')).toBe(configSchema.shape.SQS_VISIBILITY_TIMEOUT.parse(undefined));
  });

  it('the dashboards show exactly the metrics the worker emits, in its namespace', async () => {
    const lines: string[] = [];
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const emf = new EmfEmitter({ metrics, output: (line) => lines.push(line), workerId: 'i-test' });
    emf.start();
    metrics.processed({ outcome: 'indexed', type: 'pdf', seconds: 1, stages: { downloadMs: 1, extractMs: 1, ocrMs: 1, indexMs: 1 } });
    metrics.failed({ code: 'corrupt_file', errorClass: 'permanent', stage: 'extract' });
    metrics.deadLettered('corrupt_file');
    metrics.requeued('index_unavailable');
    metrics.workerRestarted();
    metrics.spotInterruption();
    await emf.close();
    const record = JSON.parse(lines.at(-1) ?? '{}') as { _aws: { CloudWatchMetrics: [{ Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }] } };
    const directive = record._aws.CloudWatchMetrics[0];
    const emitted = directive.Metrics.map((m) => m.Name).sort();
    expect(directive.Dimensions).toEqual([['WorkerId']]);
    expect(configSchema.shape.METRICS_NAMESPACE.parse(undefined)).toBe(DEFAULT_EMF_NAMESPACE);

    const dashboards: Record<string, string> = { 'terraform dashboard.tf': read('infra/terraform/dashboard.tf') };
    const cfnDashboard = cfn('dashboard.yaml');
    if (cfnDashboard !== undefined) dashboards['cloudformation dashboard.yaml'] = cfnDashboard;
    for (const [name, text] of Object.entries(dashboards)) {
      const shown = new Set([...text.matchAll(/MetricName=\\"(\w+)\\"/g), ...text.matchAll(new RegExp(`"${DEFAULT_EMF_NAMESPACE}",\\s*"(\\w+)"`, 'g'))].map((m) => m[1] as string));
      expect([...shown].sort(), name).toEqual(emitted);
      expect(text, name).toContain('WorkerId');
    }
    expect(read('infra/terraform/variables.tf')).toMatch(new RegExp(`variable "metrics_namespace" \\{[\\s\\S]*?default\\s*=\\s*"${DEFAULT_EMF_NAMESPACE}"`));
  });
});
