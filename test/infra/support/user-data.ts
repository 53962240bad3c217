import { asObject, type Stack } from './cfn-eval.js';

/** The workers' user data and the environment file it writes. */

export const ENV_FILE = '/etc/filesearch/filesearch.env';

export function userDataOf(stack: Stack): string {
  const [lt] = stack.resourcesOfType('AWS::EC2::LaunchTemplate');
  if (lt === undefined) throw new Error('no launch template');
  const script = asObject(lt.properties['LaunchTemplateData'])['UserData'];
  if (typeof script !== 'string') throw new Error('user data is not a string');
  return script;
}

/** KEY=value lines of the `cat > ENV_FILE <<ENV … ENV` here-document, as the shell would write them. */
export function envFileOf(script: string, shellVariables: Readonly<Record<string, string>> = {}): Record<string, string> {
  const start = script.indexOf(`cat > ${ENV_FILE} <<ENV\n`);
  if (start < 0) throw new Error(`the user data does not write ${ENV_FILE} with an unquoted <<ENV here-document`);
  const body = script.slice(start).split('\n').slice(1);
  const end = body.indexOf('ENV');
  if (end < 0) throw new Error('unterminated <<ENV here-document');
  const env: Record<string, string> = {};
  for (const line of body.slice(0, end)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m === null) throw new Error(`not KEY=value: ${JSON.stringify(line)}`);
    const value = (m[2] as string).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, name: string) => {
      const v = shellVariables[name];
      if (v === undefined) throw new Error(`${m[1]} uses $${name}; give its value`);
      return v;
    });
    if (/[`"'\\$\s]/.test(value)) throw new Error(`${m[1]}: ${JSON.stringify(value)} would need quoting in an environment file`);
    env[m[1] as string] = value;
  }
  return env;
}
