import { describe, expect, it } from 'vitest';
import { asArray, asObject, loadTemplate, Stack } from './support/cfn-eval.js';
import type { CfnObject } from './support/cfn-yaml.js';

/* infra/cloudformation/queues.yaml as it deploys, read statically (moto skips policies and alarms). */

const BUCKET = 'filesearch-docs-123456789012';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:filesearch';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:123456789012:filesearch-dlq';
const RESOURCES = { 'Queue.Arn': QUEUE_ARN, 'DeadLetterQueue.Arn': DLQ_ARN, 'Queue.QueueName': 'filesearch', 'DeadLetterQueue.QueueName': 'filesearch-dlq', Queue: 'https://sqs/filesearch', AlarmTopic: 'arn:aws:sns:us-east-1:123456789012:alarms', AlarmTopicKey: 'key-1' };

function stack(params: Readonly<Record<string, string>> = {}): Stack {
  return new Stack(loadTemplate('queues.yaml'), { BucketName: BUCKET, ...params }, RESOURCES);
}

function one(s: Stack, type: string, id?: string): CfnObject {
  const found = s.resourcesOfType(type).filter((r) => id === undefined || r.id === id);
  expect(found.map((r) => r.id), type).toHaveLength(1);
  return (found[0] as { properties: CfnObject }).properties;
}

describe('queues.yaml', () => {
  const s = stack();

  it('main queue: visibility 300 s, long polling 20 s, redrive to the DLQ after 3 receives, SSE-SQS', () => {
    expect(one(s, 'AWS::SQS::Queue', 'Queue')).toMatchObject({
      QueueName: 'filesearch',
      VisibilityTimeout: '300',
      ReceiveMessageWaitTimeSeconds: 20,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: '3' },
    });
  });

  it('DLQ: retention 14 days (longer than the main queue: copies keep their enqueue time), SSE-SQS, fed only by the main queue', () => {
    const dlq = one(s, 'AWS::SQS::Queue', 'DeadLetterQueue');
    expect(dlq).toMatchObject({ QueueName: 'filesearch-dlq', MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    expect(dlq['RedriveAllowPolicy']).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [QUEUE_ARN] });
    expect(Number(one(s, 'AWS::SQS::Queue', 'Queue')['MessageRetentionPeriod'])).toBeLessThan(1_209_600);
  });

  it('queue policy: only the documents bucket of this account may send; plain HTTP is refused', () => {
    const statements = asArray(asObject(one(s, 'AWS::SQS::QueuePolicy')['PolicyDocument'])['Statement']).map(asObject);
    expect(statements.filter((st) => st['Effect'] === 'Allow')).toEqual([
      {
        Sid: 'AllowDocumentsBucketNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: QUEUE_ARN,
        Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::${BUCKET}` }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
    expect(statements.find((st) => st['Effect'] === 'Deny')).toMatchObject({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('bucket: created encrypted, versioned, private; notifies the queue of ObjectCreated:* and ObjectRemoved:*, after the queue policy', () => {
    const bucket = one(s, 'AWS::S3::Bucket', 'Bucket');
    expect(bucket['BucketName']).toBe(BUCKET);
    expect(asObject(bucket['NotificationConfiguration'])['QueueConfigurations']).toEqual([
      { Event: 's3:ObjectCreated:*', Queue: QUEUE_ARN },
      { Event: 's3:ObjectRemoved:*', Queue: QUEUE_ARN },
    ]);
    expect(bucket['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(asObject(s.template['Resources'])['Bucket']).toMatchObject({ DependsOn: 'QueuePolicy' });
  });

  it('IngestPrefix limits the notifications to that prefix', () => {
    const configs = asArray(asObject(one(stack({ IngestPrefix: 'docs/' }), 'AWS::S3::Bucket', 'Bucket')['NotificationConfiguration'])['QueueConfigurations']);
    for (const c of configs) expect(asObject(c)['Filter']).toEqual({ S3Key: { Rules: [{ Name: 'prefix', Value: 'docs/' }] } });
  });

  it('an existing bucket: nothing created for it, the queue policy still admits it, an output says how to notify', () => {
    const existing = stack({ CreateBucket: 'false' });
    expect(existing.resourcesOfType('AWS::S3::Bucket')).toEqual([]);
    expect(JSON.stringify(one(existing, 'AWS::SQS::QueuePolicy'))).toContain(`arn:aws:s3:::${BUCKET}`);
    expect(existing.condition('UseExistingBucket')).toBe(true);
    const output = String(existing.resolve(asObject(asObject(existing.template['Outputs'])['ExistingBucketNotificationCommand'])['Value'] ?? null));
    expect(output).toContain('"Events":["s3:ObjectCreated:*","s3:ObjectRemoved:*"]');
    expect(output).toContain(QUEUE_ARN);
    const prefixed = stack({ CreateBucket: 'false', IngestPrefix: 'docs/' });
    const withFilter = String(prefixed.resolve(asObject(asObject(prefixed.template['Outputs'])['ExistingBucketNotificationCommand'])['Value'] ?? null));
    expect(withFilter).toContain('"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"docs/"}]}}');
    expect(JSON.parse(/'(\{.*\})'/.exec(withFilter)?.[1] ?? '')).toHaveProperty('QueueConfigurations');
  });

  it('alarms to a KMS-encrypted topic CloudWatch may publish to: DLQ not empty, oldest message age, queue depth', () => {
    const alarms = s.resourcesOfType('AWS::CloudWatch::Alarm').map((a) => a.properties);
    const summary = alarms.map((a) => ({
      metric: a['MetricName'],
      queue: asObject(asArray(a['Dimensions'])[0])['Value'],
      when: `${String(a['ComparisonOperator'])} ${String(a['Threshold'])}`,
      actions: [a['AlarmActions'], a['OKActions']],
    }));
    const topic = [RESOURCES.AlarmTopic];
    expect(summary).toEqual([
      { metric: 'ApproximateNumberOfMessagesVisible', queue: 'filesearch-dlq', when: 'GreaterThanThreshold 0', actions: [topic, topic] },
      { metric: 'ApproximateAgeOfOldestMessage', queue: 'filesearch', when: 'GreaterThanThreshold 900', actions: [topic, topic] },
      { metric: 'ApproximateNumberOfMessagesVisible', queue: 'filesearch', when: 'GreaterThanThreshold 1000', actions: [topic, topic] },
    ]);
    expect(one(s, 'AWS::SNS::Topic')['KmsMasterKeyId']).toBe(RESOURCES.AlarmTopicKey);
    const key = one(s, 'AWS::KMS::Key');
    expect(key['EnableKeyRotation']).toBe(true);
    const cloudwatch = asArray(asObject(key['KeyPolicy'])['Statement']).map(asObject).find((st) => JSON.stringify(st['Principal']).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
  });
});
