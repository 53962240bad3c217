import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCfnYaml, type CfnObject, type CfnValue } from './cfn-yaml.js';

/**
 * Enough of CloudFormation's evaluation to read a template as it would deploy: parameters (given
 * or defaults), pseudo parameters, conditions, Ref/Sub/Join/Select/Split/If, and AWS::NoValue.
 * Resources' attributes stay symbolic (`${Queue.Arn}`) unless `resources` names them.
 */

export const CLOUDFORMATION_DIR = fileURLToPath(new URL('../../../infra/cloudformation/', import.meta.url));

export const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::StackName': 'filesearch',
  'AWS::URLSuffix': 'amazonaws.com',
};

export function loadTemplate(file: string): CfnObject {
  const full = path.join(CLOUDFORMATION_DIR, file);
  return parseCfnYaml(fs.readFileSync(full, 'utf8'), path.relative(process.cwd(), full));
}

export function templateFiles(): string[] {
  return fs
    .readdirSync(CLOUDFORMATION_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

const NO_VALUE = Symbol('AWS::NoValue');
type Evaluated = CfnValue | typeof NO_VALUE;

export class Stack {
  readonly params: Record<string, string>;
  private readonly conditions = new Map<string, boolean>();

  constructor(
    readonly template: CfnObject,
    given: Readonly<Record<string, string>> = {},
    private readonly resources: Readonly<Record<string, string>> = {},
  ) {
    const declared = asObject(template['Parameters'] ?? {});
    for (const key of Object.keys(given)) if (!(key in declared)) throw new Error(`no parameter ${key}`);
    this.params = {};
    for (const [name, decl] of Object.entries(declared)) {
      const value = given[name] ?? asObject(decl)['Default'];
      if (value === undefined || value === null) throw new Error(`parameter ${name} has no default: give it`);
      this.params[name] = String(value);
    }
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const decl = asObject(this.template['Conditions'] ?? {})[name];
    if (decl === undefined) throw new Error(`no condition ${name}`);
    const value = this.evaluate(decl);
    if (typeof value !== 'boolean') throw new Error(`condition ${name} is not a boolean`);
    this.conditions.set(name, value);
    return value;
  }

  /** The resources of a type that this stack creates (their Condition holds), evaluated. */
  resourcesOfType(type: string): Array<{ id: string; properties: CfnObject }> {
    return Object.entries(asObject(this.template['Resources']))
      .map(([id, r]) => [id, asObject(r)] as const)
      .filter(([, r]) => r['Type'] === type && (r['Condition'] === undefined || this.condition(String(r['Condition']))))
      .map(([id, r]) => ({ id, properties: asObject(this.resolve(r['Properties'] ?? {})) }));
  }

  /** Logical ids of the resources this stack creates. */
  createdResources(): string[] {
    return Object.entries(asObject(this.template['Resources']))
      .filter(([, r]) => {
        const c = asObject(r)['Condition'];
        return c === undefined || this.condition(String(c));
      })
      .map(([id]) => id);
  }

  resolve(value: CfnValue): CfnValue {
    const v = this.evaluate(value);
    if (v === NO_VALUE) throw new Error('AWS::NoValue outside a property');
    return v;
  }

  private ref(name: string): Evaluated {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in this.params) return this.params[name] as string;
    if (name in PSEUDO) return PSEUDO[name] as string;
    return this.resources[name] ?? `\${${name}}`;
  }

  private sub(text: string, vars: Readonly<Record<string, CfnValue>>): string {
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) return this.resources[name] ?? `\${${name}}`;
      return String(this.ref(name));
    });
  }

  private evaluate(value: CfnValue): Evaluated {
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v)).filter((v): v is CfnValue => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    const [fn] = keys;
    const arg = fn === undefined ? undefined : (value[fn] as CfnValue);
    if (keys.length === 1 && fn !== undefined && arg !== undefined) {
      const args = (): CfnValue[] => asArray(this.resolve(arg));
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Condition':
          return this.condition(String(arg));
        case 'Fn::GetAtt': {
          const [res, att] = asArray(arg).map(String);
          return this.resources[`${res}.${att}`] ?? `\${${res}.${att}}`;
        }
        case 'Fn::Sub': {
          if (typeof arg === 'string') return this.sub(arg, {});
          const [text, vars] = asArray(arg);
          return this.sub(String(text), asObject(this.resolve(vars ?? {})));
        }
        case 'Fn::If': {
          const [cond, yes, no] = asArray(arg);
          return this.evaluate((this.condition(String(cond)) ? yes : no) ?? null);
        }
        case 'Fn::Equals': {
          const [a, b] = args();
          return String(a) === String(b);
        }
        case 'Fn::Not':
          return !args()[0];
        case 'Fn::And':
          return args().every(Boolean);
        case 'Fn::Or':
          return args().some(Boolean);
        case 'Fn::Join': {
          const [sep, list] = args();
          return asArray(list ?? []).map(String).join(String(sep));
        }
        case 'Fn::Split': {
          const [sep, text] = args();
          return String(text).split(String(sep));
        }
        case 'Fn::Select': {
          const [index, list] = args();
          return asArray(list ?? [])[Number(index)] ?? null;
        }
        case 'Fn::Base64':
          return this.resolve(arg); // kept as text: what the instance decodes
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${fn} is not evaluated here`);
      }
    }
    const out: CfnObject = {};
    for (const [k, v] of Object.entries(value)) {
      const e = this.evaluate(v);
      if (e !== NO_VALUE) out[k] = e;
    }
    return out;
  }
}

export function asObject(v: CfnValue | undefined): CfnObject {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new Error(`expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}

export function asArray(v: CfnValue | undefined): CfnValue[] {
  if (!Array.isArray(v)) throw new Error(`expected a list, got ${JSON.stringify(v)}`);
  return v;
}
