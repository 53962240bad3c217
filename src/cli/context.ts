import type { Command } from 'commander';
import { loadConfigFromProcess, type Config } from '../config/config.js';
import type { ConfigKey } from '../config/schema.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../composition/index.js';
import { ConfigError, isFatalError } from '../domain/errors.js';

/** Exit codes: 78 (EX_CONFIG) lets systemd's RestartPreventExitStatus stop a config crash loop. */
export const ExitCodes = { Ok: 0, Failure: 1, Usage: 2, Config: 78 } as const;

export interface GlobalOptions {
  readonly config?: string;
  readonly home?: string;
  readonly logLevel?: string;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function loadCliConfig(cmd: Command, overrides: Partial<Record<ConfigKey, string | number | boolean | undefined>> = {}): Config {
  const g = globalOptions(cmd);
  const merged: Partial<Record<ConfigKey, string | number | boolean>> = {};
  const all = { FILESEARCH_HOME: g.home, LOG_LEVEL: g.logLevel, ...overrides };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) merged[k as ConfigKey] = v;
  return loadConfigFromProcess({ ...(g.config === undefined ? {} : { file: g.config }), overrides: merged });
}

export async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>, options: RuntimeOptions = {}): Promise<T> {
  const rt = await createRuntime(config, options);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Prints an error the way an operator needs it and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`filesearch: configuration problems, nothing was started:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return ExitCodes.Config;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`filesearch: ${isFatalError(err) ? 'fatal: ' : ''}${message}\n`);
  return ExitCodes.Failure;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1 (got ${value})`);
    return n;
  };
}

export function parsePort(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`${name} must be a port from 0 to 65535 (got ${value})`);
    return n;
  };
}
