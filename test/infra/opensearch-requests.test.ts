import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenSearchClient } from '../../src/adapters/opensearch/opensearch-client.js';
import { OpenSearchSearchIndex } from '../../src/adapters/opensearch/opensearch-search-index.js';
import { testServers } from '../support/servers.js';
import { loadTemplate, Stack } from './support/cfn-eval.js';
import { grantingStatement, identityPolicyDocuments, statementsOf } from './support/iam.js';

/*
 * The HTTP requests the worker's OpenSearch adapter really sends (through a recording proxy in
 * front of the test servers' OpenSearch), each checked against iam.yaml: an IAM policy for
 * Amazon OpenSearch Service authorises the HTTP method (es:ESHttp<Method>) on the domain ARN
 * followed by the request path. A client upgrade that changes a method or path fails here.
 */

const DOMAIN = 'arn:aws:es:us-east-1:123456789012:domain/filesearch';
const INDEX = `infra-${randomUUID().slice(0, 8)}`;
const statements = (() => {
  const stack = new Stack(loadTemplate('iam.yaml'), {
    QueueArn: 'arn:aws:sqs:us-east-1:123456789012:filesearch',
    DeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:filesearch-dlq',
    BucketName: 'filesearch-docs',
    OpenSearchDomainArn: DOMAIN,
    OpenSearchIndex: INDEX,
  });
  return identityPolicyDocuments(stack, 'iam.yaml').flatMap((d) => statementsOf(d.where, d.document));
})();

const requests: string[] = [];
let forbidCat = false; // Amazon OpenSearch Service domains may refuse _cat: the adapter then probes _analyze
let proxy: http.Server;
let proxyUrl: string;

beforeAll(async () => {
  const upstream = new URL(testServers().opensearch);
  proxy = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    requests.push(`${req.method ?? '?'} ${path}`);
    if (forbidCat && path.startsWith('/_cat/')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"forbidden","status":403}');
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  const admin = createOpenSearchClient({ endpoint: testServers().opensearch, auth: { kind: 'none' } });
  await admin.indices.delete({ index: `${INDEX}*` }, { ignore: [404] }).catch(() => undefined);
  await admin.close();
  await new Promise((resolve) => proxy.close(resolve));
});

/** Every request an index goes through: schema, bulk write, count, search, get, ping. */
async function exercise(index: string): Promise<void> {
  const subject = new OpenSearchSearchIndex({ client: createOpenSearchClient({ endpoint: proxyUrl, auth: { kind: 'none' } }), index, analyzer: 'auto' });
  try {
    await subject.ensureSchema();
    await subject.bulk([{ type: 'delete', id: 'missing-document' }]);
    await subject.count();
    await subject.search({ text: '見積 report' });
    await subject.get('missing-document');
    await subject.ping();
  } finally {
    await subject.close();
  }
}

describe("the OpenSearch adapter's requests", () => {
  it('are each allowed by iam.yaml on the domain path, and are exactly the ones it grants', async () => {
    await exercise(INDEX);
    forbidCat = true;
    await exercise(`${INDEX}-nocat`);
    const seen = [...new Set(requests.map((r) => r.replace(`/${INDEX}-nocat`, `/${INDEX}`)))].sort();
    expect(seen).toEqual(
      [
        'GET /_cat/plugins',
        'POST /_analyze',
        `GET /${INDEX}/_mapping`,
        `PUT /${INDEX}`,
        'POST /_bulk',
        `POST /${INDEX}/_count`,
        `GET /${INDEX}/_count`,
        `POST /${INDEX}/_search`,
        `GET /${INDEX}/_doc/missing-document`,
      ].sort(),
    );
    const denied = seen.filter((r) => {
      const [method, path] = r.split(' ') as [string, string];
      const action = `es:ESHttp${method.charAt(0)}${method.slice(1).toLowerCase()}`;
      return grantingStatement(statements, action, `${DOMAIN}${path}`) === undefined;
    });
    expect(denied).toEqual([]);
  });

  it('and another index name is denied (the grant is for OPENSEARCH_INDEX only)', () => {
    for (const r of ['GET /other/_mapping', 'PUT /other', 'POST /other/_search', 'GET /other/_doc/1']) {
      const [method, path] = r.split(' ') as [string, string];
      expect(grantingStatement(statements, `es:ESHttp${method.charAt(0)}${method.slice(1).toLowerCase()}`, `${DOMAIN}${path}`), r).toBeUndefined();
    }
  });
});
