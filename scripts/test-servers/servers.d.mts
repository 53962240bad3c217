// Types of servers.mjs for the TypeScript test support (test/support/global-setup.ts, servers.ts).

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

/** A dedicated OpenSearch node (apart from the shared one) that a test may stop and start again. */
export interface OpenSearchInstance {
  /** http://127.0.0.1:PORT, plain HTTP, no auth; the same across stop() and start(). */
  readonly url: string;
  readonly port: number;
  readonly transportPort: number;
  /** The node's output, appended to across restarts. */
  readonly logFile: string;
  /** Its temp dir (config, data, logs), removed by dispose(). */
  readonly dir: string;
  /** Whether its process is up (not whether it is healthy yet). */
  readonly running: boolean;
  /**
   * Stops the node's whole process group (SIGTERM, SIGKILL after 20 s; `hard`: SIGKILL at once, a
   * crash) and keeps its data. Connections to `url` are refused until start(). No-op when stopped.
   */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same ports with the same data; resolves once it is healthy. No-op when running. */
  start(): Promise<void>;
  /** Stops it and removes its temp dir; idempotent. start() fails afterwards. */
  dispose(): Promise<void>;
}

/**
 * Provisions (from the shared cache) and starts a dedicated OpenSearch on free loopback ports.
 * `owned` (the default): killed when this process exits, even by SIGKILL.
 */
export function startOpenSearchInstance(options?: LogOption & { owned?: boolean }): Promise<OpenSearchInstance>;
