// Types of servers.mjs for the TypeScript test support (test/support/global-setup.ts).

export interface TestServerEndpoints {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  sqs: { elasticmq: string; moto: string };
  s3: string;
  opensearch: string;
  opensearchPlugins: string[];
}

export interface StartedServers {
  readonly endpoints: TestServerEndpoints;
  /** Stops every server (whole process groups) and removes the run's temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface LogOption {
  /** Progress lines; default: stderr with a `test-servers:` prefix. */
  log?: (message: string) => void;
}

export function startServers(options?: LogOption & { owned?: boolean }): Promise<StartedServers>;
export function findRunningServers(options?: LogOption): Promise<TestServerEndpoints | undefined>;
export function provisionServers(options?: LogOption): Promise<unknown>;
