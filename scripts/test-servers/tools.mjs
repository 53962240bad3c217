// The machine's tools the servers need, each found explicitly (never "whatever java is on PATH")
// and, when missing, named together with the command that installs it.
import fs from 'node:fs';
import path from 'node:path';
import { commandWorks } from './processes.mjs';
import { moto, opensearch } from './versions.mjs';

const fix = 'scripts/install-system-deps.sh installs it (as root), or run: apt-get install -y';

/** A Java home whose major version OpenSearch 2.19 supports; FILESEARCH_TEST_JAVA_HOME overrides. */
export function findJava() {
  const jvmDir = '/usr/lib/jvm';
  const override = process.env.FILESEARCH_TEST_JAVA_HOME;
  const installed = fs.existsSync(jvmDir) ? fs.readdirSync(jvmDir).sort() : [];
  const candidates = override
    ? [override]
    : [
        ...installed.filter((d) => /^(java-17-openjdk|temurin-17|jdk-17)/.test(d)).map((d) => path.join(jvmDir, d)),
        process.env.JAVA_HOME,
      ].filter(Boolean);
  const seen = [];
  for (const home of candidates) {
    const major = javaMajor(home);
    if (major !== undefined && opensearch.javaMajors.includes(major)) return { home, java: path.join(home, 'bin', 'java'), major };
    seen.push(`${home} (${major === undefined ? 'no java' : `Java ${major}`})`);
  }
  throw new Error(
    `Java ${opensearch.javaMajors.join(' or ')} is needed for OpenSearch ${opensearch.version} and ElasticMQ; ` +
      `looked at ${seen.join(', ') || `${jvmDir}/java-17-openjdk-*`}. ${fix} openjdk-17-jre-headless ` +
      '(or set FILESEARCH_TEST_JAVA_HOME to a Java 17 or 21 home)',
  );
}

function javaMajor(home) {
  const java = path.join(home, 'bin', 'java');
  if (!fs.existsSync(java)) return undefined;
  const release = path.join(home, 'release');
  const text = fs.existsSync(release) ? fs.readFileSync(release, 'utf8') : (commandWorks(java, ['-version']) ?? '');
  const match = /(?:JAVA_VERSION=|version )"(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function requireMaven() {
  if (!commandWorks('mvn', ['-v'])) throw new Error(`Maven (mvn) is needed to resolve ElasticMQ's classpath: ${fix} maven`);
  return 'mvn';
}

export function requireUnzip() {
  if (!commandWorks('unzip', ['-v'])) throw new Error(`unzip is needed to unpack OpenSearch: ${fix} unzip`);
  return 'unzip';
}

/** A Python ≥ 3.9 that can make venvs (Debian splits venv/ensurepip into python3-venv). */
export function findPython() {
  const python = process.env.FILESEARCH_TEST_PYTHON || 'python3';
  const out = commandWorks(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])']);
  if (!out) {
    const exists = commandWorks(python, ['--version']);
    throw new Error(
      exists
        ? `${python} cannot create virtual environments (no venv/ensurepip) for moto: ${fix} python3-venv`
        : `${python} not found; moto needs Python ≥ ${moto.minPython.join('.')}: ${fix} python3 python3-venv (or set FILESEARCH_TEST_PYTHON)`,
    );
  }
  const [major, minor] = out.trim().split('.').map(Number);
  const [needMajor, needMinor] = moto.minPython;
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    throw new Error(`${python} is ${major}.${minor}; moto ${moto.version} needs ≥ ${moto.minPython.join('.')} (set FILESEARCH_TEST_PYTHON)`);
  }
  return { python, version: `${major}.${minor}` };
}
