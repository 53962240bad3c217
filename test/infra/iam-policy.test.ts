import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanAwsCalls } from './support/aws-calls.js';
import { asObject, loadTemplate, Stack, templateFiles } from './support/cfn-eval.js';
import { grantingStatement, identityPolicyDocuments, statementsOf, wildcardMatch, type Statement } from './support/iam.js';

/*
 * The worker role's policy (infra/cloudformation/iam.yaml) against the AWS calls src/ makes.
 * The calls are read from the code; each must be in API_PERMISSIONS below, so a new call fails
 * here until someone has decided which permission it needs and granted it in iam.yaml.
 */

const PARAMS = {
  QueueArn: 'arn:aws:sqs:us-east-1:123456789012:filesearch',
  DeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:filesearch-dlq',
  BucketName: 'filesearch-docs-123456789012',
  OpenSearchDomainArn: 'arn:aws:es:us-east-1:123456789012:domain/filesearch',
};
const Q = PARAMS.QueueArn;
const DLQ = PARAMS.DeadLetterQueueArn;
const BUCKET = `arn:aws:s3:::${PARAMS.BucketName}`;
const DOMAIN = PARAMS.OpenSearchDomainArn;
const INDEX = `${DOMAIN}/file-index`; // OPENSEARCH_INDEX default
const ASG = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0e5c6a1b-2f3d-4c5e-8a9b-0c1d2e3f4a5b:autoScalingGroupName/filesearch-workers';
const LOG_GROUP = 'arn:aws:logs:us-east-1:123456789012:log-group:/filesearch/worker';

interface Need {
  readonly action: string;
  /** Example resources the call touches; the policy must allow the action on each. */
  readonly resources: readonly string[];
}

/** Every AWS API src/ calls → the IAM permissions it needs (client:Operation as in the code). */
const API_PERMISSIONS: Readonly<Record<string, readonly Need[]>> = {
  // The worker loop on the main queue; `dlq analyze|archive|redrive` read the DLQ.
  'sqs:ReceiveMessage': [{ action: 'sqs:ReceiveMessage', resources: [Q, DLQ] }],
  'sqs:DeleteMessageBatch': [{ action: 'sqs:DeleteMessage', resources: [Q, DLQ] }],
  'sqs:ChangeMessageVisibilityBatch': [{ action: 'sqs:ChangeMessageVisibility', resources: [Q, DLQ] }],
  // Permanent failures to the DLQ; the redrive fallback back to the main queue.
  'sqs:SendMessage': [{ action: 'sqs:SendMessage', resources: [Q, DLQ] }],
  // `ingest s3://` enqueues on the main queue; DLQ sends in batches.
  'sqs:SendMessageBatch': [{ action: 'sqs:SendMessage', resources: [Q, DLQ] }],
  'sqs:GetQueueAttributes': [{ action: 'sqs:GetQueueAttributes', resources: [Q, DLQ] }],
  // SQS docs: the move task acts on the source (the DLQ) and sends to the destination.
  'sqs:StartMessageMoveTask': [
    { action: 'sqs:StartMessageMoveTask', resources: [DLQ] },
    { action: 'sqs:ReceiveMessage', resources: [DLQ] },
    { action: 'sqs:DeleteMessage', resources: [DLQ] },
    { action: 'sqs:GetQueueAttributes', resources: [DLQ] },
    { action: 'sqs:SendMessage', resources: [Q] },
  ],
  'sqs:ListMessageMoveTasks': [{ action: 'sqs:ListMessageMoveTasks', resources: [DLQ] }],
  's3:GetObject': [{ action: 's3:GetObject', resources: [`${BUCKET}/契約/見積 2024.pdf`] }],
  // HeadObject is authorised as s3:GetObject; without s3:ListBucket a missing key answers 403, not 404.
  's3:HeadObject': [
    { action: 's3:GetObject', resources: [`${BUCKET}/.filesearch-preflight/1234`] },
    { action: 's3:ListBucket', resources: [BUCKET] },
  ],
  's3:HeadBucket': [{ action: 's3:ListBucket', resources: [BUCKET] }],
  's3:ListObjectsV2': [{ action: 's3:ListBucket', resources: [BUCKET] }],
  // `dlq archive --to s3://BUCKET/dlq-archive/` (ArchivePrefix default).
  's3:PutObject': [{ action: 's3:PutObject', resources: [`${BUCKET}/dlq-archive/dlq-archive-2026-01-02T03-04-05-678Z-1a2b3c4d.jsonl`] }],
  'auto-scaling:CompleteLifecycleAction': [{ action: 'autoscaling:CompleteLifecycleAction', resources: [ASG] }],
  // OpenSearch (SigV4 over HTTP): method and path as @opensearch-project/opensearch 3.x sends them
  // (api/_core/*.js, api/indices/*.js, api/cat/plugins.js).
  'opensearch:cat.plugins': [{ action: 'es:ESHttpGet', resources: [`${DOMAIN}/_cat/plugins`] }],
  'opensearch:indices.analyze': [{ action: 'es:ESHttpPost', resources: [`${DOMAIN}/_analyze`] }], // with a body: POST
  'opensearch:indices.getMapping': [{ action: 'es:ESHttpGet', resources: [`${INDEX}/_mapping`] }],
  'opensearch:indices.create': [{ action: 'es:ESHttpPut', resources: [INDEX] }],
  'opensearch:get': [{ action: 'es:ESHttpGet', resources: [`${INDEX}/_doc/3f9a0c2e`] }],
  // count() sends a query (POST); ping() counts without a body (GET). test/infra/opensearch-requests.test.ts records both.
  'opensearch:count': [
    { action: 'es:ESHttpPost', resources: [`${INDEX}/_count`] },
    { action: 'es:ESHttpGet', resources: [`${INDEX}/_count`] },
  ],
  'opensearch:search': [{ action: 'es:ESHttpPost', resources: [`${INDEX}/_search`] }], // with a body: POST
  'opensearch:bulk': [{ action: 'es:ESHttpPost', resources: [`${DOMAIN}/_bulk`] }], // no index in the path: POST /_bulk
  'opensearch:close': [], // closes sockets; no request
};

/** Needs of what runs beside the worker, not called from src/. */
const OTHER_NEEDS: Readonly<Record<string, readonly Need[]>> = {
  'CloudWatch agent shipping stdout (ShipLogs)': [
    { action: 'logs:CreateLogStream', resources: [LOG_GROUP] },
    { action: 'logs:PutLogEvents', resources: [`${LOG_GROUP}:log-stream:i-0123456789abcdef0`] },
  ],
};

/** Wildcards allowed inside resource ARNs, each for a reason; anything else is a finding. */
const JUSTIFIED_WILDCARDS: ReadonlyArray<{ readonly pattern: RegExp; readonly why: string }> = [
  { pattern: /^arn:aws:s3:::[a-z0-9.-]+\/([A-Za-z0-9!_.()/-]+\/)?\*$/, why: 'object keys in one bucket (or under one prefix)' },
  { pattern: /^arn:aws:es:[a-z0-9-]+:\d{12}:domain\/[a-z0-9-]+\/[a-z0-9._-]+\/_doc\/\*$/, why: 'document ids in one index' },
  { pattern: /^arn:aws:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:\*:autoScalingGroupName\/[A-Za-z0-9._-]+$/, why: 'the group id of one named group (assigned at creation)' },
  { pattern: /^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:[^*?]+:log-stream:\*$/, why: "one log group's per-instance streams" },
];

function policyOf(params: Readonly<Record<string, string>>): Statement[] {
  const stack = new Stack(loadTemplate('iam.yaml'), { ...PARAMS, ...params });
  return identityPolicyDocuments(stack, 'iam.yaml').flatMap((d) => statementsOf(d.where, d.document));
}

/** `*` actions, `*` resources (except cloudwatch:PutMetricData scoped by namespace) and unexplained ARN wildcards. */
function wildcardFindings(statements: readonly Statement[]): string[] {
  const findings: string[] = [];
  for (const s of statements.filter((st) => st.effect === 'Allow')) {
    for (const a of s.actions.filter((x) => /[*?]/.test(x))) findings.push(`${s.where}: wildcard action ${a}`);
    for (const r of s.resources.filter((x) => /[*?]/.test(x))) {
      if (r === '*') {
        const namespace = s.condition?.['StringEquals'] === undefined ? undefined : asObject(s.condition['StringEquals'])['cloudwatch:namespace'];
        const ok = s.actions.every((a) => a === 'cloudwatch:PutMetricData') && namespace === 'FileSearch/Worker';
        if (!ok) findings.push(`${s.where}: Resource * (allowed only for cloudwatch:PutMetricData with cloudwatch:namespace = FileSearch/Worker)`);
      } else if (!JUSTIFIED_WILDCARDS.some((j) => j.pattern.test(r))) findings.push(`${s.where}: unexplained wildcard in ${r}`);
    }
  }
  return findings;
}

const calls = scanAwsCalls();

describe('the AWS calls in src/', () => {
  it('are found by the scan (SQS, S3, Auto Scaling and OpenSearch, each in its adapter)', () => {
    const apis = new Set(calls.map((c) => c.api));
    for (const expected of ['sqs:ReceiveMessage', 's3:GetObject', 's3:ListObjectsV2', 'auto-scaling:CompleteLifecycleAction', 'opensearch:bulk']) {
      expect(apis, `the scan lost ${expected}`).toContain(expected);
    }
  });

  it('each has its IAM permissions in the table (a new call needs an IAM review first)', () => {
    const unknown = calls.filter((c) => !(c.api in API_PERMISSIONS)).map((c) => `${c.api} at ${c.at}`);
    expect(unknown, 'add these to API_PERMISSIONS and grant them in iam.yaml').toEqual([]);
    const stale = Object.keys(API_PERMISSIONS).filter((api) => !calls.some((c) => c.api === api));
    expect(stale, 'no longer called: drop them from API_PERMISSIONS and from iam.yaml').toEqual([]);
  });
});

describe('iam.yaml (defaults: DLQ tools on, logs shipped)', () => {
  const statements = policyOf({});

  it('allows every call src/ makes, on the exact resources', () => {
    const missing: string[] = [];
    const needs = [...new Set(calls.map((c) => c.api))].flatMap((api) => (API_PERMISSIONS[api] ?? []).map((n) => ({ by: api, ...n })));
    for (const [by, list] of Object.entries(OTHER_NEEDS)) needs.push(...list.map((n) => ({ by, ...n })));
    for (const n of needs) for (const r of n.resources) if (grantingStatement(statements, n.action, r) === undefined) missing.push(`${n.by}: ${n.action} on ${r}`);
    expect(missing).toEqual([]);
  });

  it('grants nothing beyond those needs: each action and resource serves one', () => {
    const needs = [...Object.values(API_PERMISSIONS), ...Object.values(OTHER_NEEDS)].flat();
    const unneeded: string[] = [];
    for (const s of statements.filter((st) => st.effect === 'Allow')) {
      for (const a of s.actions) if (!needs.some((n) => n.action.toLowerCase() === a.toLowerCase())) unneeded.push(`${s.where}: ${a}`);
      for (const r of s.resources) {
        const served = needs.some((n) => s.actions.some((a) => a.toLowerCase() === n.action.toLowerCase()) && n.resources.some((x) => wildcardMatch(r, x)));
        if (!served) unneeded.push(`${s.where}: ${r}`);
      }
    }
    expect(unneeded).toEqual([]);
  });

  it('has no * action, no * resource beyond cloudwatch:PutMetricData, and only justified ARN wildcards (every option)', () => {
    const variants: ReadonlyArray<Record<string, string>> = [{}, { AllowDlqTools: 'false' }, { ShipLogs: 'false' }, { ArchiveBucketName: 'filesearch-archive' }];
    for (const options of variants) {
      expect(wildcardFindings(policyOf(options)), JSON.stringify(options)).toEqual([]);
    }
  });

  it('the wildcard check itself catches what it must', () => {
    const st = (actions: string[], resources: string[], condition?: Statement['condition']): Statement => ({ where: 'test', sid: undefined, effect: 'Allow', actions, resources, condition });
    expect(wildcardFindings([st(['sqs:*'], [Q])])).toHaveLength(1);
    expect(wildcardFindings([st(['s3:GetObject'], ['*'])])).toHaveLength(1);
    expect(wildcardFindings([st(['s3:GetObject'], ['arn:aws:s3:::*/x'])])).toHaveLength(1);
    expect(wildcardFindings([st(['cloudwatch:PutMetricData'], ['*'])])).toHaveLength(1);
    expect(wildcardFindings([st(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': 'FileSearch/Worker' } })])).toEqual([]);
  });

  it('lets only EC2 assume the role', () => {
    const role = new Stack(loadTemplate('iam.yaml'), PARAMS).resourcesOfType('AWS::IAM::Role');
    expect(role.map((r) => r.properties['AssumeRolePolicyDocument'])).toEqual([
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    ]);
  });
});

describe('iam.yaml options', () => {
  it('AllowDlqTools=false leaves the DLQ send-only and drops move tasks and the archive', () => {
    const s = policyOf({ AllowDlqTools: 'false' });
    expect(grantingStatement(s, 'sqs:SendMessage', DLQ)).toBeDefined();
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks']) expect(grantingStatement(s, action, DLQ), action).toBeUndefined();
    expect(s.some((st) => st.actions.includes('s3:PutObject'))).toBe(false);
    expect(grantingStatement(s, 'sqs:ReceiveMessage', Q)).toBeDefined();
  });

  it('ArchiveBucketName moves the archive grant to that bucket, under the prefix only', () => {
    const s = policyOf({ ArchiveBucketName: 'filesearch-archive', ArchivePrefix: 'dead/' });
    expect(grantingStatement(s, 's3:PutObject', 'arn:aws:s3:::filesearch-archive/dead/dlq-archive-x.jsonl')).toBeDefined();
    expect(grantingStatement(s, 's3:PutObject', 'arn:aws:s3:::filesearch-archive/other/x.jsonl')).toBeUndefined();
    expect(grantingStatement(s, 's3:PutObject', `${BUCKET}/dead/x.jsonl`)).toBeUndefined();
  });

  it('ShipLogs=false drops the CloudWatch Logs grant', () => {
    expect(policyOf({ ShipLogs: 'false' }).some((st) => st.actions.some((a) => a.startsWith('logs:')))).toBe(false);
  });

  it('no other template defines IAM policies or roles (they would escape these checks)', () => {
    const elsewhere = templateFiles()
      .filter((f) => f !== 'iam.yaml')
      .flatMap((f) => Object.entries(asObject(loadTemplate(f)['Resources'])).map(([id, r]) => ({ f, id, type: String(asObject(r)['Type']) })))
      .filter((r) => r.type.startsWith('AWS::IAM::'));
    expect(elsewhere).toEqual([]);
  });
});

describe('Terraform grants what CloudFormation grants', () => {
  // The two are written by hand side by side; this keeps the worker's role the same in both:
  // per statement (by Sid), the same actions and the same OpenSearch paths.
  const read = (file: string) =>
    fs
      .readFileSync(path.join(import.meta.dirname, '..', '..', 'infra', file), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
  const ACTION = /["'\s](sqs|s3|es|autoscaling|logs|cloudwatch|kms|ssm):([A-Za-z*]+)/g;
  const grants = (blocks: string[], sidOf: RegExp, domain: string, index: string) =>
    new Map(
      blocks
        .map((b) => [sidOf.exec(b)?.[1], b] as const)
        .filter((e): e is readonly [string, string] => e[0] !== undefined)
        .map(([sid, b]) => {
          const actions = [...new Set([...b.matchAll(ACTION)].map((m) => `${m[1]}:${m[2]}`))].sort();
          const paths = [...new Set([...b.matchAll(new RegExp(`\\$\\{${domain}\\}(/[^'"\\s]*)`, 'g'))].map((m) => (m[1] ?? '').replace(index, '<index>')))].sort();
          return [sid, { actions, paths }] as const;
        }),
    );

  it('the same statements with the same actions and OpenSearch paths', () => {
    const cfn = grants(read('cloudformation/iam.yaml').split(/\n\s*- Sid: /).map((b, i) => (i === 0 ? '' : `Sid: ${b}`)), /^Sid: (\w+)/, 'OpenSearchDomainArn', '${OpenSearchIndex}');
    const tf = grants(read('terraform/iam.tf').split(/\n\s*(?:statement|dynamic "statement") \{/), /sid\s*=\s*"(\w+)"/, 'var\\.opensearch_domain_arn', '${var.opensearch_index}');
    expect(cfn.size).toBeGreaterThan(5);
    for (const [sid, grant] of cfn) expect(tf.get(sid), `Terraform statement ${sid}`).toEqual(grant);
  });
});
