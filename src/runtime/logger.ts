import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** The narrow logging surface the core depends on (STYLE: core takes narrow interfaces). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly level: string;
  /** 1 = stdout (the worker's NDJSON), 2 = stderr (interactive commands keep stdout for results). */
  readonly fd?: 1 | 2;
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
}

/** NDJSON, one event per line, secrets redacted wherever they appear in a logged object. */
export function createLogger(options: LoggerOptions): PinoLogger {
  const destination = options.destination ?? pino.destination({ fd: options.fd ?? 1, sync: false });
  return pino(
    {
      level: options.level,
      base: options.base ?? { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['*.password', '*.secretAccessKey', '*.sessionToken', '*.authorization', '*.token', 'config.OPENSEARCH_PASSWORD'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
