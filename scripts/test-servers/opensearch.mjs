// OpenSearch: the integ-test zip from Maven Central, completed once in the cache with the modules
// and plugin in versions.mjs, then started per run with its config, data and logs in a temp dir.
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheRoot, mavenArtifact, run, seconds, shortHash } from './cache.mjs';
import { freePorts, httpJson, spawnServer, waitHealthy } from './processes.mjs';
import { requireUnzip } from './tools.mjs';
import { opensearch } from './versions.mjs';

/** The assembled distribution in the cache (downloaded and built on first use). */
export async function provisionOpenSearch({ java, python, log }) {
  const recipe = shortHash(JSON.stringify(opensearch), 'v1');
  const dest = path.join(cacheRoot(), `opensearch-${opensearch.version}-${recipe}`);
  const home = (root) => path.join(root, `opensearch-${opensearch.version}`);
  if (fs.existsSync(dest)) return home(dest);
  requireUnzip();
  const extras = [...opensearch.modules, ...opensearch.plugins];
  const began = Date.now();
  log(`provisioning OpenSearch ${opensearch.version} with ${extras.map((p) => p.name).join(', ')} (first run downloads ~60 MB)`);
  const [zip, ...jars] = await Promise.all([
    mavenArtifact(opensearch.distribution),
    ...extras.map((extra) => Promise.all(extra.artifacts.map((coords) => mavenArtifact(coords)))),
  ]);
  await buildOnce(dest, async (tmp) => {
    await run('unzip', ['-q', zip, '-d', tmp], { what: 'unpacking OpenSearch' });
    for (const [i, module] of opensearch.modules.entries()) {
      await writeBundle(path.join(home(tmp), 'modules', module.name), module, opensearch.version, jars[i]);
    }
    const work = path.join(tmp, 'work');
    for (const [j, plugin] of opensearch.plugins.entries()) {
      const bundle = path.join(work, plugin.name);
      await writeBundle(bundle, plugin, plugin.version, jars[opensearch.modules.length + j]);
      const pluginZip = path.join(work, `${plugin.name}.zip`);
      await run(python, ['-m', 'zipfile', '-c', pluginZip, ...fs.readdirSync(bundle)], { cwd: bundle, what: `packing ${plugin.name}` });
      await run(path.join(home(tmp), 'bin', 'opensearch-plugin'), ['install', '--batch', `file://${pluginZip}`], {
        env: javaEnv(java),
        what: `opensearch-plugin install ${plugin.name}`,
      });
    }
    await fs.promises.rm(work, { recursive: true, force: true });
  });
  log(`OpenSearch ${opensearch.version} provisioned in ${seconds(began)}`);
  return home(dest);
}

/** A plugin directory as the build would make it: its jars, descriptor and security policy. */
async function writeBundle(dir, spec, version, jars) {
  await fs.promises.mkdir(dir, { recursive: true });
  for (const jar of jars) await fs.promises.copyFile(jar, path.join(dir, path.basename(jar)));
  const descriptor = {
    description: spec.description,
    version,
    name: spec.name,
    classname: spec.classname,
    'java.version': '11',
    'opensearch.version': opensearch.version,
    'custom.foldername': '',
    'extended.plugins': spec.extendedPlugins.join(','),
    'has.native.controller': 'false',
  };
  const text = Object.entries(descriptor).map(([k, v]) => `${k}=${v}`).join('\n');
  await fs.promises.writeFile(path.join(dir, 'plugin-descriptor.properties'), `${text}\n`);
  if (spec.permissions.length > 0) {
    const grants = spec.permissions.map((p) => `  permission ${p};`).join('\n');
    await fs.promises.writeFile(path.join(dir, 'plugin-security.policy'), `grant {\n${grants}\n};\n`);
  }
}

function javaEnv(java) {
  return { ...process.env, JAVA_HOME: java.home, OPENSEARCH_JAVA_HOME: java.home };
}

/**
 * Starts OpenSearch with its config, data and logs in `runDir`/opensearch, on `httpPort` and
 * `transportPort` when given (a restart), else on free ports. Data already in that dir is kept, so
 * a stopped node started again on the same dir comes back with its indices.
 */
export async function startOpenSearch({ distDir, java, runDir, owned, log, httpPort: wantedHttp, transportPort: wantedTransport }) {
  const dir = path.join(runDir, 'opensearch');
  const conf = path.join(dir, 'config');
  for (const sub of ['data', 'logs', 'tmp']) await fs.promises.mkdir(path.join(dir, sub), { recursive: true });
  // Per-run config: OpenSearch writes its keystore there, and the cache stays read-only. On a
  // restart the copy overwrites the distribution's files only (the keystore stays).
  await fs.promises.cp(path.join(distDir, 'config'), conf, { recursive: true });
  const jvmOptions = path.join(conf, 'jvm.options');
  const options = fs.readFileSync(jvmOptions, 'utf8')
    .replaceAll('file=logs/', `file=${dir}/logs/`)
    .replace('HeapDumpPath=data', `HeapDumpPath=${dir}/data`)
    .replace('ErrorFile=logs/', `ErrorFile=${dir}/logs/`);
  fs.writeFileSync(jvmOptions, options);

  const [httpPort, transportPort] = await choosePorts(wantedHttp, wantedTransport);
  // OpenSearch refuses to run as root (CI runs as root): with JNA unloadable it cannot tell, and
  // only loses memory locking and the seccomp filter, neither of which a test server needs.
  const rootOptions = process.getuid?.() === 0 ? ' -Djna.nosys=true -Djna.noclasspath=true' : '';
  const logFile = path.join(dir, 'opensearch.log');
  const pid = await spawnServer({
    command: path.join(distDir, 'bin', 'opensearch'),
    args: [
      ['discovery.type', 'single-node'],
      ['network.host', '127.0.0.1'],
      ['http.port', httpPort],
      ['transport.port', transportPort],
      ['path.data', path.join(dir, 'data')],
      ['path.logs', path.join(dir, 'logs')],
      ['cluster.name', 'filesearch-test'],
      ['node.name', 'filesearch-test'],
      ['cluster.routing.allocation.disk.threshold_enabled', 'false'],
    ].flatMap(([key, value]) => ['-E', `${key}=${value}`]),
    env: {
      ...javaEnv(java),
      OPENSEARCH_PATH_CONF: conf,
      OPENSEARCH_TMPDIR: path.join(dir, 'tmp'),
      OPENSEARCH_JAVA_OPTS: `-Xms512m -Xmx512m${rootOptions}`,
    },
    cwd: dir,
    logFile,
    owned,
    marker: runDir,
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const server = { name: 'opensearch', pid, port: httpPort, transportPort, url, logFile };
  await waitHealthy({
    name: `OpenSearch ${opensearch.version}`,
    pid,
    logFile,
    timeoutMs: 180_000,
    check: async () => {
      const health = await httpJson(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
      return health.status === 'yellow' || health.status === 'green';
    },
  });
  const info = await httpJson(url);
  const plugins = (await httpJson(`${url}/_cat/plugins?format=json`)).map((p) => p.component);
  await selfTest(url, plugins);
  log(`OpenSearch ${info.version.number} up at ${url}; _cat/plugins: ${plugins.join(', ') || '(none)'}`);
  return { ...server, version: info.version.number, plugins };
}

/** The given ports, any missing one replaced by a free port distinct from the other. */
async function choosePorts(httpPort, transportPort) {
  if (httpPort !== undefined && transportPort !== undefined) return [httpPort, transportPort];
  const free = (await freePorts(3)).filter((p) => p !== httpPort && p !== transportPort);
  return [httpPort ?? free[0], transportPort ?? free[1]];
}

/** Proves the added modules and plugin load and analyze, so a broken assembly fails loudly here. */
async function selfTest(url, plugins) {
  const analyze = async (body) => {
    const result = await httpJson(`${url}/_analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return result.tokens.map((t) => t.token);
  };
  const cjk = await analyze({ analyzer: 'cjk', text: '会議室' });
  if (!cjk.includes('会議')) throw new Error(`OpenSearch's cjk analyzer (analysis-common) gave ${JSON.stringify(cjk)}`);
  if (plugins.includes('analysis-kuromoji')) {
    const ja = await analyze({ tokenizer: 'kuromoji_tokenizer', filter: ['kuromoji_baseform'], text: '東京都に住んでいる' });
    if (!ja.includes('東京') || !ja.includes('住む')) throw new Error(`OpenSearch's kuromoji tokenizer gave ${JSON.stringify(ja)}`);
  }
}
