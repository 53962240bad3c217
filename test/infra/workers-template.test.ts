import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configKeys, configSchema } from '../../src/config/schema.js';
import { asArray, asObject, loadTemplate, Stack } from './support/cfn-eval.js';
import type { CfnObject } from './support/cfn-yaml.js';
import { envFileOf, userDataOf } from './support/user-data.js';

/* infra/cloudformation/workers.yaml as it deploys, read statically (moto skips hooks and scaling policies). */

const WORKER_PARAMS = {
  ImageId: 'ami-0123456789abcdef0',
  VpcId: 'vpc-0123456789abcdef0',
  SubnetIds: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
  InstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/filesearch-worker',
  QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/filesearch',
  DeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/filesearch-dlq',
  BucketName: 'filesearch-docs-123456789012',
  OpenSearchEndpoint: 'https://search-filesearch-abc123.us-east-1.es.amazonaws.com',
};
const INSTANCE_ID = 'i-0123456789abcdef0';
const RESOURCES = { LaunchTemplate: 'lt-0123', 'LaunchTemplate.LatestVersionNumber': '7', WorkerGroup: 'filesearch-workers', BurstScaleOut: 'arn:policy/burst', WorkerSecurityGroup: 'sg-0123' };

function stack(params: Readonly<Record<string, string>> = {}): Stack {
  return new Stack(loadTemplate('workers.yaml'), { ...WORKER_PARAMS, ...params }, RESOURCES);
}

function one(s: Stack, type: string, id?: string): CfnObject {
  const found = s.resourcesOfType(type).filter((r) => id === undefined || r.id === id);
  expect(found.map((r) => r.id), type).toHaveLength(1);
  return (found[0] as { properties: CfnObject }).properties;
}

function defaultOf(file: string, param: string): string {
  return String(asObject(asObject(loadTemplate(file)['Parameters'])[param])['Default']);
}

describe('workers.yaml launch template', () => {
  const s = stack();
  const data = asObject(one(s, 'AWS::EC2::LaunchTemplate')['LaunchTemplateData']);

  it('IMDSv2 only (tokens required, hop limit 1), encrypted gp3 root volume, the instance profile', () => {
    expect(data['MetadataOptions']).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data['BlockDeviceMappings']).toEqual([{ DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', VolumeSize: '30', Encrypted: true, DeleteOnTermination: true } }]);
    expect(data['IamInstanceProfile']).toEqual({ Arn: WORKER_PARAMS.InstanceProfileArn });
  });

  it("user data writes the worker's own configuration keys, which load as AWS mode with SigV4 and EMF", () => {
    const env = envFileOf(userDataOf(s), { INSTANCE_ID });
    expect(Object.keys(env).filter((k) => !(configKeys as string[]).includes(k)), 'not in src/config/schema.ts').toEqual([]);
    expect(env).toMatchObject({
      AWS_REGION: 'us-east-1',
      SQS_QUEUE_URL: WORKER_PARAMS.QueueUrl,
      DLQ_QUEUE_URL: WORKER_PARAMS.DeadLetterQueueUrl,
      S3_BUCKET: WORKER_PARAMS.BucketName,
      OPENSEARCH_ENDPOINT: WORKER_PARAMS.OpenSearchEndpoint,
      OPENSEARCH_INDEX: 'file-index',
      OPENSEARCH_AUTH: 'sigv4',
      DRAIN_TIMEOUT: '60',
      METRICS_EMF: 'on',
      TEMP_DIR: '/var/tmp',
      WORKER_ID: INSTANCE_ID,
      ASG_NAME: 'filesearch-workers',
      LIFECYCLE_HOOK_NAME: 'filesearch-drain',
    });
    const config = loadConfig({ env });
    expect(config.mode).toBe('aws');
    expect(config.openSearchAuth).toEqual({ kind: 'sigv4', region: 'us-east-1', service: 'es' });
  });

  it('user data is valid bash that runs preflight (retrying) before systemctl start, and starts nothing when it keeps failing', () => {
    const script = userDataOf(s);
    execFileSync('bash', ['-n'], { input: script });
    const preflight = script.indexOf('until preflight; do');
    const start = script.indexOf('systemctl start filesearch');
    expect(preflight).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(preflight);
    expect(script.slice(preflight, start)).toMatch(/-ge "\$PREFLIGHT_ATTEMPTS"[\s\S]*exit 1[\s\S]*done/);
    expect(script).toContain('exec "$0" preflight');
    expect(script).toContain("PREFLIGHT_ATTEMPTS='10'");
  });

  it('systemd outwaits the drain: TimeoutStopSec = DRAIN_TIMEOUT + 30', () => {
    const script = userDataOf(stack({ DrainTimeoutSeconds: '120' }));
    expect(script).toContain("DRAIN_TIMEOUT='120'");
    expect(script).toContain(`printf '[Service]\\nTimeoutStopSec=%s\\n' "$((DRAIN_TIMEOUT + 30))" > /etc/systemd/system/filesearch.service.d/`);
    expect(envFileOf(script, { INSTANCE_ID })['DRAIN_TIMEOUT']).toBe('120');
  });
});

describe('workers.yaml Auto Scaling group', () => {
  const s = stack();
  const group = one(s, 'AWS::AutoScaling::AutoScalingGroup');

  it('a termination lifecycle hook whose heartbeat outlasts the drain deadline; the user data names it', () => {
    const hooks = asArray(group['LifecycleHookSpecificationList']).map(asObject);
    expect(hooks).toEqual([{ LifecycleHookName: 'filesearch-drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: '300', DefaultResult: 'CONTINUE' }]);
    // Drain, then the bulk flush and release; the hook must not expire first.
    expect(Number(defaultOf('workers.yaml', 'LifecycleHeartbeatTimeoutSeconds'))).toBeGreaterThan(Number(defaultOf('workers.yaml', 'DrainTimeoutSeconds')) + 60);
    expect(envFileOf(userDataOf(s), { INSTANCE_ID })).toMatchObject({ ASG_NAME: group['AutoScalingGroupName'], LIFECYCLE_HOOK_NAME: 'filesearch-drain' });
  });

  it('spans the subnets, mixes Spot and On-Demand by parameter, and is instance-refresh friendly', () => {
    expect(group['VPCZoneIdentifier']).toBe(WORKER_PARAMS.SubnetIds);
    expect(group).not.toHaveProperty('DesiredCapacity'); // scaling owns it; a stack update must not reset it
    expect(group).toMatchObject({ CapacityRebalance: true, InstanceMaintenancePolicy: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 }, TerminationPolicies: ['OldestLaunchTemplate', 'Default'] });
    const mixed = asObject(group['MixedInstancesPolicy']);
    expect(asObject(mixed['LaunchTemplate'])['LaunchTemplateSpecification']).toEqual({ LaunchTemplateId: 'lt-0123', Version: '7' });
    expect(asObject(mixed['InstancesDistribution'])['OnDemandPercentageAboveBaseCapacity']).toBe('100');
    const spot = asObject(asObject(one(stack({ OnDemandPercentageAboveBaseCapacity: '0', InstanceType3: 'c6i.large' }), 'AWS::AutoScaling::AutoScalingGroup')['MixedInstancesPolicy']));
    expect(asObject(spot['InstancesDistribution'])).toMatchObject({ OnDemandPercentageAboveBaseCapacity: '0', SpotAllocationStrategy: 'price-capacity-optimized' });
    expect(asObject(spot['LaunchTemplate'])['Overrides']).toEqual([{ InstanceType: 'c7i.large' }, { InstanceType: 'm7i.large' }, { InstanceType: 'c6i.large' }]);
  });

  it('target tracking on backlog per instance: ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances (which the group publishes)', () => {
    const tracking = asObject(one(s, 'AWS::AutoScaling::ScalingPolicy', 'BacklogPerInstanceScaling')['TargetTrackingConfiguration']);
    expect(tracking['TargetValue']).toBe('50');
    const metrics = asArray(asObject(tracking['CustomizedMetricSpecification'])['Metrics']).map(asObject);
    const stat = (id: string) => asObject(asObject(metrics.find((m) => m['Id'] === id)?.['MetricStat'])['Metric']);
    expect(stat('visible')).toEqual({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: 'filesearch' }] });
    expect(stat('inservice')).toEqual({ Namespace: 'AWS/AutoScaling', MetricName: 'GroupInServiceInstances', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'filesearch-workers' }] });
    expect(metrics.filter((m) => m['ReturnData'] !== false)).toEqual([{ Id: 'backlogperinstance', Label: 'Backlog per instance', Expression: 'visible / inservice', ReturnData: true }]);
    const collected = asArray(group['MetricsCollection']).flatMap((c) => asArray(asObject(c)['Metrics']));
    expect(collected).toContain('GroupInServiceInstances');
  });

  it('a step scale-out for bursts, driven by a queue-depth alarm', () => {
    const step = one(s, 'AWS::AutoScaling::ScalingPolicy', 'BurstScaleOut');
    expect(step).toMatchObject({ PolicyType: 'StepScaling', AdjustmentType: 'ChangeInCapacity' });
    expect(asArray(step['StepAdjustments']).map((a) => Number(asObject(a)['ScalingAdjustment']))).toEqual([2, 4]);
    const alarm = one(s, 'AWS::CloudWatch::Alarm', 'BurstAlarm');
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: '2000', AlarmActions: ['arn:policy/burst'] });
  });
});

describe('the templates agree with each other and with the worker', () => {
  it('on shared names and defaults', () => {
    for (const p of ['AutoScalingGroupName', 'LogGroupName', 'OpenSearchIndex', 'ShipLogs']) expect(defaultOf('workers.yaml', p), p).toBe(defaultOf('iam.yaml', p));
    const schema = configSchema.parse({});
    expect(Number(defaultOf('workers.yaml', 'VisibilityTimeoutSeconds'))).toBe(schema.SQS_VISIBILITY_TIMEOUT);
    expect(Number(defaultOf('queues.yaml', 'VisibilityTimeoutSeconds'))).toBe(schema.SQS_VISIBILITY_TIMEOUT);
    expect(Number(defaultOf('queues.yaml', 'MaxReceiveCount'))).toBe(schema.MAX_RECEIVE_COUNT);
    expect(Number(defaultOf('workers.yaml', 'DrainTimeoutSeconds'))).toBe(schema.DRAIN_TIMEOUT);
    expect(defaultOf('workers.yaml', 'OpenSearchIndex')).toBe(schema.OPENSEARCH_INDEX);
  });
});
