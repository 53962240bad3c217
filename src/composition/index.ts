import { Modes, type Config } from '../config/config.js';
import { createEmbeddedRuntime } from './embedded.js';
import type { Runtime, RuntimeOptions } from './runtime.js';

export type { Runtime, RuntimeOptions } from './runtime.js';

/**
 * Chooses the composition root from the configuration: SQS_QUEUE_URL set means AWS. The AWS
 * root is loaded on demand so embedded commands never pay for loading the AWS SDK.
 */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  if (config.mode === Modes.Embedded) return createEmbeddedRuntime(config, options);
  const { createAwsRuntime } = await import('./aws.js');
  return createAwsRuntime(config, options);
}
