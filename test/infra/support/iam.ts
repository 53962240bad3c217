import { asArray, asObject, type Stack } from './cfn-eval.js';
import type { CfnObject, CfnValue } from './cfn-yaml.js';

/** IAM identity policies as a template deploys them, and a small evaluator for them. */

export interface Statement {
  readonly where: string; // `iam.yaml WorkerPolicy #3 (Sid)`
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition: CfnObject | undefined;
}

/** Identity-based policy documents: AWS::IAM::ManagedPolicy, AWS::IAM::Policy, inline Role policies. */
export function identityPolicyDocuments(stack: Stack, file: string): Array<{ where: string; document: CfnObject }> {
  const out: Array<{ where: string; document: CfnObject }> = [];
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
    for (const r of stack.resourcesOfType(type)) out.push({ where: `${file} ${r.id}`, document: asObject(r.properties['PolicyDocument']) });
  }
  for (const r of stack.resourcesOfType('AWS::IAM::Role')) {
    for (const p of asArray(r.properties['Policies'] ?? [])) {
      const policy = asObject(p);
      out.push({ where: `${file} ${r.id}.${String(policy['PolicyName'])}`, document: asObject(policy['PolicyDocument']) });
    }
  }
  return out;
}

export function statementsOf(where: string, document: CfnObject): Statement[] {
  if (document['Version'] !== '2012-10-17') throw new Error(`${where}: Version must be 2012-10-17`);
  return asArray(document['Statement']).map((s, i) => {
    const st = asObject(s);
    const sid = typeof st['Sid'] === 'string' ? st['Sid'] : undefined;
    const at = `${where} #${i + 1}${sid === undefined ? '' : ` (${sid})`}`;
    for (const forbidden of ['NotAction', 'NotResource', 'NotPrincipal', 'Principal']) {
      if (forbidden in st) throw new Error(`${at}: ${forbidden} has no place in an identity policy here`);
    }
    const effect = st['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') throw new Error(`${at}: Effect ${String(effect)}`);
    return {
      where: at,
      sid,
      effect,
      actions: strings(st['Action'], `${at} Action`),
      resources: strings(st['Resource'], `${at} Resource`),
      condition: st['Condition'] === undefined ? undefined : asObject(st['Condition']),
    };
  });
}

function strings(v: CfnValue | undefined, what: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== 'string' || x === '') throw new Error(`${what}: expected strings, got ${JSON.stringify(v)}`);
    if (x.includes('${')) throw new Error(`${what}: unresolved ${x}`);
    return x;
  });
}

/** IAM's wildcard match: `*` any run of characters, `?` one; actions compare case-insensitively. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

/**
 * The Allow statement that grants `action` on `resource`, if no Deny matches; statements with a
 * Condition count only when `acceptCondition` accepts it (conditions are not evaluated here).
 */
export function grantingStatement(
  statements: readonly Statement[],
  action: string,
  resource: string,
  acceptCondition: (s: Statement) => boolean = () => false,
): Statement | undefined {
  const applies = (s: Statement) =>
    s.actions.some((a) => wildcardMatch(a, action, true)) &&
    s.resources.some((r) => wildcardMatch(r, resource)) &&
    (s.condition === undefined || acceptCondition(s));
  if (statements.some((s) => s.effect === 'Deny' && applies(s))) return undefined;
  return statements.find((s) => s.effect === 'Allow' && applies(s));
}
