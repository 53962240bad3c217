import { Modes, type Config } from '../config/config.js';
import { ErrorCodes, FatalError } from '../domain/errors.js';
import { createEmbeddedRuntime } from './embedded.js';
import type { Runtime } from './runtime.js';

export type { Runtime } from './runtime.js';

/** Chooses the composition root from the configuration: SQS_QUEUE_URL set means AWS. */
export async function createRuntime(config: Config): Promise<Runtime> {
  if (config.mode === Modes.Embedded) return createEmbeddedRuntime(config);
  throw new FatalError(ErrorCodes.ConfigInvalid, 'AWS mode (SQS_QUEUE_URL) is not wired in this build yet. Fix: unset SQS_QUEUE_URL to run embedded.');
}
