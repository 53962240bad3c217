// Types of ec2-metadata-mock.mjs for the TypeScript tests (test/integration/instance-notices.test.ts).
import type { LogOption } from './servers.mjs';

export const ec2MetadataMock: {
  readonly module: string;
  readonly version: string;
  /** The module's go.sum line (`h1:…`). */
  readonly sum: string;
  readonly mainPackage: string;
};

export interface Ec2MetadataMock {
  /** `http://127.0.0.1:<port>`: the IMDS endpoint (IMDSv2 only). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The mock's output, in a temp dir removed by stop(). */
  readonly logFile: string;
  readonly version: string;
  /** Stops the mock (its whole process group) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface Ec2MetadataMockOptions extends LogOption {
  /** A subcommand and its flags (`['spot', '-a', 'terminate', '-t', time]`); none mocks everything. */
  args?: string[];
  /** Killed when this process exits, even by SIGKILL (default true). */
  owned?: boolean;
}

/** Builds the mock into the test-server cache once; resolves to the binary's path. */
export function provisionEc2MetadataMock(options?: LogOption): Promise<string>;
export function startEc2MetadataMock(options?: Ec2MetadataMockOptions): Promise<Ec2MetadataMock>;
