import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DeleteBucketCommand, GetBucketEncryptionCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configKeys } from '../../src/config/schema.js';
import { testServers } from '../support/servers.js';
import { asObject, CLOUDFORMATION_DIR, loadTemplate, Stack } from './support/cfn-eval.js';
import { identityPolicyDocuments } from './support/iam.js';
import { motoJson, motoQuery, xmlAll, xmlOne } from './support/moto-query.js';
import { envFileOf, userDataOf } from './support/user-data.js';

/*
 * The templates deployed into moto (server mode: the test servers' moto, whose one port serves
 * CloudFormation too) with the CloudFormation API, and what they created read back through each
 * service's own API. moto 5.2.5 creates the SQS queues, S3 buckets, KMS keys and aliases, the SNS
 * topic, the IAM role, managed policy and instance profile, the security group, launch template,
 * Auto Scaling group (with its mixed instances policy), log group and dashboard. It skips, with a
 * warning while the stack still completes, the types in MOTO_SKIPS, and it ignores some properties
 * (the bucket's notification, versioning, public access block and logging; the DLQ's
 * RedriveAllowPolicy; the group's lifecycle hook and metrics collection; the log group's KMS key).
 * Those parts are checked statically by the *-template tests.
 */

const MOTO_SKIPS = new Set(['AWS::SQS::QueuePolicy', 'AWS::S3::BucketPolicy', 'AWS::CloudWatch::Alarm', 'AWS::AutoScaling::ScalingPolicy']);
const RUN = randomUUID().slice(0, 8); // lower-case hex: valid in bucket, queue and group names

const servers = testServers();
const endpoint = servers.sqs.moto;
const client = { region: servers.region, credentials: servers.credentials, endpoint, maxAttempts: 1 };
const cf = new CloudFormationClient(client);
const deployed: string[] = [];
const buckets: string[] = [];

interface Deployed {
  readonly outputs: Record<string, string>;
  readonly resources: StackResourceSummary[];
}

function deploy(file: string, name: string, params: Readonly<Record<string, string>>): Promise<Deployed> {
  return deployBody(fs.readFileSync(path.join(CLOUDFORMATION_DIR, file), 'utf8'), name, params);
}

async function deployBody(body: string, name: string, params: Readonly<Record<string, string>>): Promise<Deployed> {
  await cf.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: body,
      Parameters: Object.entries(params).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  deployed.push(name);
  for (let i = 0; ; i++) {
    const stack = (await cf.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    if (stack?.StackStatus !== 'CREATE_IN_PROGRESS') {
      expect(stack?.StackStatus, `${name}: ${stack?.StackStatusReason ?? ''}`).toBe('CREATE_COMPLETE');
      const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      const resources = (await cf.send(new ListStackResourcesCommand({ StackName: name }))).StackResourceSummaries ?? [];
      return { outputs, resources };
    }
    if (i > 100) throw new Error(`${name} still ${stack.StackStatus}`);
    await sleep(200);
  }
}

/** What moto created is what the template creates with these parameters, less the types moto skips. */
function expectCreatedAsModelled(file: string, params: Readonly<Record<string, string>>, d: Deployed): void {
  const template = loadTemplate(file);
  const types = asObject(template['Resources']);
  const modelled = new Stack(template, params).createdResources();
  const created = d.resources.map((r) => r.LogicalResourceId ?? '').filter((id) => id !== '');
  expect(created.sort()).toEqual(modelled.filter((id) => !MOTO_SKIPS.has(String(asObject(types[id])['Type']))).sort());
}

async function motoIam(action: string, params: Record<string, string>): Promise<string> {
  return motoQuery(endpoint, 'iam', action, params);
}

function policyJson(encoded: string): unknown {
  return JSON.parse(encoded.startsWith('%7B') ? decodeURIComponent(encoded) : encoded);
}

const QUEUES = { QueueName: `infra-${RUN}`, BucketName: `infra-${RUN}-docs` };
let queues: Deployed;

beforeAll(async () => {
  queues = await deploy('queues.yaml', `infra-queues-${RUN}`, QUEUES);
  buckets.push(QUEUES.BucketName, ...queues.resources.filter((r) => r.LogicalResourceId === 'AccessLogBucket').map((r) => r.PhysicalResourceId ?? ''));
});

afterAll(async () => {
  for (const name of deployed.reverse()) await cf.send(new DeleteStackCommand({ StackName: name })).catch(() => undefined);
  // Retained (DeletionPolicy: Retain) in a real account; here they would only pile up in the shared moto.
  const s3 = new S3Client({ ...client, forcePathStyle: true });
  for (const b of buckets) await s3.send(new DeleteBucketCommand({ Bucket: b })).catch(() => undefined);
  s3.destroy();
  cf.destroy();
});

describe('queues.yaml in moto', () => {
  it('creates everything moto supports (queue and bucket policies and alarms it skips)', () => {
    expectCreatedAsModelled('queues.yaml', QUEUES, queues);
  });

  it('the main queue redrives to the DLQ after 3 receives, hides messages 300 s, long-polls 20 s; the DLQ keeps them 14 days', async () => {
    const sqs = new SQSClient(client);
    const attributes = async (url: string | undefined) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    const main = await attributes(queues.outputs['QueueUrl']);
    const dlq = await attributes(queues.outputs['DeadLetterQueueUrl']);
    sqs.destroy();
    expect(JSON.parse(main['RedrivePolicy'] ?? '{}')).toEqual({ deadLetterTargetArn: queues.outputs['DeadLetterQueueArn'], maxReceiveCount: 3 });
    expect(main).toMatchObject({ QueueArn: queues.outputs['QueueArn'], VisibilityTimeout: '300', ReceiveMessageWaitTimeSeconds: '20', SqsManagedSseEnabled: 'true' });
    expect(dlq).toMatchObject({ MessageRetentionPeriod: '1209600', SqsManagedSseEnabled: 'true' });
  });

  it('creates the documents bucket, encrypted', async () => {
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    await s3.send(new HeadBucketCommand({ Bucket: QUEUES.BucketName }));
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: QUEUES.BucketName }));
    s3.destroy();
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  });
});

describe('iam.yaml, workers.yaml and dashboard.yaml in moto', () => {
  let iamParams: Record<string, string>;
  let iam: Deployed;

  beforeAll(async () => {
    iamParams = {
      QueueArn: queues.outputs['QueueArn'] ?? '',
      DeadLetterQueueArn: queues.outputs['DeadLetterQueueArn'] ?? '',
      BucketName: QUEUES.BucketName,
      OpenSearchDomainArn: 'arn:aws:es:us-east-1:123456789012:domain/filesearch',
      AutoScalingGroupName: `infra-${RUN}-workers`,
      LogGroupName: `/filesearch/infra-${RUN}`,
    };
    iam = await deploy('iam.yaml', `infra-iam-${RUN}`, iamParams);
  });

  it('iam.yaml: the role, its policy (as moto read the YAML, identical to ours) and the instance profile', async () => {
    expectCreatedAsModelled('iam.yaml', iamParams, iam);
    const policyArn = iam.outputs['WorkerPolicyArn'] ?? '';
    const version = xmlOne(await motoIam('GetPolicy', { PolicyArn: policyArn }), 'DefaultVersionId');
    const document = policyJson(xmlOne(await motoIam('GetPolicyVersion', { PolicyArn: policyArn, VersionId: version }), 'Document'));
    const ours = identityPolicyDocuments(new Stack(loadTemplate('iam.yaml'), iamParams), 'iam.yaml');
    expect(ours).toHaveLength(1);
    expect(document).toEqual(ours[0]?.document);
    const roleName = iam.outputs['WorkerRoleName'] ?? '';
    expect(xmlAll(await motoIam('ListAttachedRolePolicies', { RoleName: roleName }), 'PolicyArn')).toEqual([policyArn]);
    expect(policyJson(xmlOne(await motoIam('GetRole', { RoleName: roleName }), 'AssumeRolePolicyDocument'))).toMatchObject({
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const profile = (iam.outputs['InstanceProfileArn'] ?? '').split('/').pop() ?? '';
    expect(xmlAll(await motoIam('GetInstanceProfile', { InstanceProfileName: profile }), 'RoleName')).toEqual([roleName]);
  });

  it('workers.yaml: the group across the subnets with its Spot mix, a launch template whose user data is ours, the log group', async () => {
    const net = await deployBody(JSON.stringify(NETWORK), `infra-net-${RUN}`, {});
    const [image] = xmlAll(await motoQuery(endpoint, 'ec2', 'DescribeImages', { 'Owner.1': 'amazon' }), 'imageId');
    const params = {
      ImageId: image ?? '',
      VpcId: net.outputs['VpcId'] ?? '',
      SubnetIds: net.outputs['SubnetIds'] ?? '',
      InstanceProfileArn: iam.outputs['InstanceProfileArn'] ?? '',
      QueueUrl: queues.outputs['QueueUrl'] ?? '',
      DeadLetterQueueUrl: queues.outputs['DeadLetterQueueUrl'] ?? '',
      BucketName: QUEUES.BucketName,
      OpenSearchEndpoint: 'https://search-filesearch-abc123.us-east-1.es.amazonaws.com',
      AutoScalingGroupName: iamParams['AutoScalingGroupName'] ?? '',
      LogGroupName: iamParams['LogGroupName'] ?? '',
      OnDemandPercentageAboveBaseCapacity: '25',
    };
    const workers = await deploy('workers.yaml', `infra-workers-${RUN}`, params);
    expectCreatedAsModelled('workers.yaml', params, workers);

    const asg = new AutoScalingClient(client);
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [params.AutoScalingGroupName] }))).AutoScalingGroups?.[0];
    asg.destroy();
    expect(group).toMatchObject({ MinSize: 1, MaxSize: 10, VPCZoneIdentifier: params.SubnetIds, HealthCheckType: 'EC2', HealthCheckGracePeriod: 300 });
    expect(group?.MixedInstancesPolicy?.InstancesDistribution).toMatchObject({ OnDemandPercentageAboveBaseCapacity: 25, SpotAllocationStrategy: 'price-capacity-optimized' });
    expect(group?.MixedInstancesPolicy?.LaunchTemplate?.Overrides).toEqual([{ InstanceType: 'c7i.large' }, { InstanceType: 'm7i.large' }]);
    expect(group?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId).toBe(workers.outputs['LaunchTemplateId']);

    const lt = await motoQuery(endpoint, 'ec2', 'DescribeLaunchTemplateVersions', { LaunchTemplateId: workers.outputs['LaunchTemplateId'] ?? '' });
    expect([xmlOne(lt, 'httpTokens'), xmlOne(lt, 'httpPutResponseHopLimit'), xmlOne(lt, 'volumeType'), xmlOne(lt, 'encrypted')]).toEqual(['required', '1', 'gp3', 'true']);
    const userData = Buffer.from(xmlOne(lt, 'userData'), 'base64').toString('utf8');
    expect(userData).toBe(userDataOf(new Stack(loadTemplate('workers.yaml'), params)));
    const env = envFileOf(userData, { INSTANCE_ID: 'i-0123456789abcdef0' });
    expect(Object.keys(env).filter((k) => !(configKeys as string[]).includes(k))).toEqual([]);
    expect(env).toMatchObject({ SQS_QUEUE_URL: params.QueueUrl, DLQ_QUEUE_URL: params.DeadLetterQueueUrl, ASG_NAME: params.AutoScalingGroupName });

    const logs = await motoJson(endpoint, 'logs', 'Logs_20140328.DescribeLogGroups', { logGroupNamePrefix: params.LogGroupName });
    expect(logs['logGroups']).toEqual([expect.objectContaining({ logGroupName: params.LogGroupName, retentionInDays: 365 })]);
  });

  it('dashboard.yaml: the dashboard moto stored is the body we render', async () => {
    const params = { DashboardName: `infra-${RUN}`, QueueName: QUEUES.QueueName, DeadLetterQueueName: `${QUEUES.QueueName}-dlq`, AutoScalingGroupName: iamParams['AutoScalingGroupName'] ?? '' };
    const dashboard = await deploy('dashboard.yaml', `infra-dashboard-${RUN}`, params);
    expectCreatedAsModelled('dashboard.yaml', params, dashboard);
    const stored = xmlOne(await motoQuery(endpoint, 'monitoring', 'GetDashboard', { DashboardName: params.DashboardName }), 'DashboardBody');
    const [ours] = new Stack(loadTemplate('dashboard.yaml'), params).resourcesOfType('AWS::CloudWatch::Dashboard');
    expect(JSON.parse(stored)).toEqual(JSON.parse(String(ours?.properties['DashboardBody'])));
  });
});

/** Two subnets in two zones for the group (moto's default VPC is shared by every test run). */
const NETWORK = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.42.0.0/16' } },
    SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.42.1.0/24', AvailabilityZone: 'us-east-1a' } },
    SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.42.2.0/24', AvailabilityZone: 'us-east-1b' } },
  },
  Outputs: {
    VpcId: { Value: { Ref: 'Vpc' } },
    SubnetIds: { Value: { 'Fn::Join': [',', [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }]] } },
  },
};
