// ElasticMQ (SQS API): Maven resolves its runtime classpath once into the cache (with a private
// local repository there and strict checksums); each run gets its own config bound to loopback.
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheRoot, run, seconds } from './cache.mjs';
import { freePorts, httpOk, spawnServer, waitHealthy } from './processes.mjs';
import { requireMaven } from './tools.mjs';
import { elasticmq, region } from './versions.mjs';

export async function provisionElasticMq({ java, log }) {
  const dest = path.join(cacheRoot(), `elasticmq-${elasticmq.version}`);
  const lib = path.join(dest, 'lib');
  if (fs.existsSync(dest)) return lib;
  const mvn = requireMaven();
  const began = Date.now();
  log(`provisioning ElasticMQ ${elasticmq.version} (Maven resolves its classpath)`);
  await buildOnce(dest, async (tmp) => {
    const { groupId, artifactId, version } = elasticmq.artifact;
    await fs.promises.writeFile(
      path.join(tmp, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.filesearch-worker</groupId>
  <artifactId>elasticmq-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
    );
    await run(
      mvn,
      [
        '-B',
        '-q',
        '--strict-checksums',
        `-Dmaven.repo.local=${path.join(cacheRoot(), 'm2')}`,
        `${elasticmq.dependencyPlugin}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(tmp, 'lib')}`,
      ],
      {
        cwd: tmp,
        env: { ...process.env, JAVA_HOME: java.home },
        what: `resolving ElasticMQ ${elasticmq.version} with Maven`,
        hint: 'Maven needs Maven Central (https://repo1.maven.org/maven2) or a mirror in ~/.m2/settings.xml',
      },
    );
    const jars = fs.readdirSync(path.join(tmp, 'lib'));
    if (!jars.includes(`${artifactId}-${version}.jar`)) throw new Error(`Maven did not copy ${artifactId}-${version}.jar (got ${jars.join(', ')})`);
  });
  log(`ElasticMQ ${elasticmq.version} provisioned in ${seconds(began)}`);
  return lib;
}

export async function startElasticMq({ lib, java, runDir, owned }) {
  const dir = path.join(runDir, 'elasticmq');
  await fs.promises.mkdir(dir, { recursive: true });
  const [port] = await freePorts(1);
  const conf = path.join(dir, 'elasticmq.conf');
  // rest-stats would listen on 0.0.0.0:9325 by default: off.
  await fs.promises.writeFile(
    conf,
    `include classpath("application.conf")
node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }
rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
aws { region = "${region}", accountId = "000000000000" }
`,
  );
  const logFile = path.join(dir, 'elasticmq.log');
  const pid = await spawnServer({
    command: java.java,
    args: ['-Xmx256m', `-Dconfig.file=${conf}`, '-cp', `${lib}/*`, elasticmq.mainClass],
    env: process.env,
    cwd: dir,
    logFile,
    owned,
    marker: runDir,
  });
  const url = `http://127.0.0.1:${port}`;
  const server = { name: 'elasticmq', pid, port, url, logFile, version: elasticmq.version };
  await waitHealthy({
    name: `ElasticMQ ${elasticmq.version}`,
    pid,
    logFile,
    timeoutMs: 60_000,
    check: () =>
      httpOk(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues' }),
  });
  return server;
}
