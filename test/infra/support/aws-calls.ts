import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The AWS API calls src/ makes, read from the source: `new <Op>Command(` and `paginate<Op>(` of the
 * @aws-sdk clients a file imports them from, and `client.<api>(` calls in files that use the
 * OpenSearch client. A call whose command is not imported from an @aws-sdk client is reported with
 * service `?`, so nothing slips past as "not an AWS call".
 */

export const SRC_DIR = fileURLToPath(new URL('../../../src/', import.meta.url));

export interface ApiCall {
  /** `sqs:ReceiveMessage`, `s3:ListObjectsV2`, `auto-scaling:CompleteLifecycleAction`, `opensearch:indices.create` */
  readonly api: string;
  readonly at: string; // src/adapters/aws/sqs-queue.ts:99
}

export function scanAwsCalls(root = SRC_DIR): ApiCall[] {
  const calls: ApiCall[] = [];
  for (const file of tsFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(path.resolve(root, '..'), file);
    const at = (index: number) => `${rel}:${text.slice(0, index).split('\n').length}`;
    const services = sdkImports(text);
    for (const m of text.matchAll(/\bnew ([A-Z][A-Za-z0-9]*)Command\(/g)) {
      calls.push({ api: `${services.get(`${m[1]}Command`) ?? '?'}:${m[1]}`, at: at(m.index) });
    }
    for (const m of text.matchAll(/\bpaginate([A-Z][A-Za-z0-9]*)\(/g)) {
      calls.push({ api: `${services.get(`paginate${m[1]}`) ?? '?'}:${m[1]}`, at: at(m.index) });
    }
    if (/from '@opensearch-project\/opensearch(\/[^']*)?'/.test(text)) {
      for (const m of text.matchAll(/\bclient\.((?:[a-z][A-Za-z]*\.)?[a-z][A-Za-z]*)\(/g)) calls.push({ api: `opensearch:${m[1]}`, at: at(m.index) });
      for (const m of text.matchAll(/\.transport\.request\(/g)) calls.push({ api: 'opensearch:transport.request', at: at(m.index) });
    }
  }
  return calls;
}

/** Imported name → client (`sqs`, `s3`, `auto-scaling`) for `import { ... } from '@aws-sdk/client-…'`. */
function sdkImports(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
    for (const spec of (m[1] as string).split(',')) {
      const name = spec.replace(/^\s*type\s+/, '').split(/\s+as\s+/).pop()?.trim();
      if (name) names.set(name, m[2] as string);
    }
  }
  return names;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.isFile() && full.endsWith('.ts') ? [full] : [];
  });
}
