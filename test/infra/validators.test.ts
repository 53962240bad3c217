import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue #7, must-show 1: cfn-lint clean on every CloudFormation template, checkov clean on
 * CloudFormation and Terraform (each suppression carries its reason in the template), and the
 * rendered user data shellcheck-clean — through the same script CI and developers run. The
 * validators come pinned from PyPI into a cached venv (scripts/infra/install-validators.sh).
 */
describe('infrastructure validators', () => {
  it('scripts/infra/validate.sh finds nothing', () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const r = spawnSync(path.join(root, 'scripts/infra/validate.sh'), { cwd: root, encoding: 'utf8', timeout: 15 * 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-6_000)).toBe(0);
    expect(r.stdout).toMatch(/cfn-lint/);
    expect(r.stdout).toMatch(/checkov/);
  }, 16 * 60_000);
});
