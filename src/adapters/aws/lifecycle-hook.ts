import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';

/**
 * The termination lifecycle hook: Auto Scaling holds a terminating instance (Terminating:Wait)
 * until the hook times out or someone completes the action. The worker completes it with CONTINUE
 * once it has drained, so the instance goes as soon as its work is safe — not after the whole
 * heartbeat timeout, and never before.
 */
export interface LifecycleHookTarget {
  readonly region: string;
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  readonly instanceId: string;
  /** Tests: an Auto Scaling-API server. */
  readonly endpoint?: string;
}

export async function completeTerminationHook(target: LifecycleHookTarget): Promise<void> {
  const client = new AutoScalingClient({ region: target.region, maxAttempts: 3, ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }) });
  try {
    await client.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: target.autoScalingGroupName,
        LifecycleHookName: target.lifecycleHookName,
        InstanceId: target.instanceId,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
  } finally {
    client.destroy();
  }
}
