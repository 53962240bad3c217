#!/usr/bin/env bash
# Validates the infrastructure as code; exits non-zero on any finding.
#   - cfn-lint on every template in infra/cloudformation (warnings count)
#   - checkov on infra/cloudformation, and on infra/terraform when that folder exists
#   - shellcheck on the workers' user data, rendered from workers.yaml (when shellcheck is installed)
# The validators come from scripts/infra/install-validators.sh (pinned, cached venv).
# Suppressions live next to what they suppress: a checkov skip is a Metadata `checkov: skip:`
# entry with its reason in the template itself.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$("$root/scripts/infra/install-validators.sh")
cd "$root"

failed=()
step() { printf '\n== %s\n' "$*"; }

shopt -s nullglob
templates=(infra/cloudformation/*.yaml infra/cloudformation/*.yml infra/cloudformation/*.json)
shopt -u nullglob
if [[ ${#templates[@]} -eq 0 ]]; then
  echo "no CloudFormation templates in infra/cloudformation" >&2
  exit 1
fi

step "$("$venv/bin/cfn-lint" --version): ${templates[*]}"
if "$venv/bin/cfn-lint" --format parseable -- "${templates[@]}"; then echo "clean"; else failed+=(cfn-lint); fi

# --skip-download: no calls to the Prisma Cloud API (no key, and CI may have no network).
checkov=("$venv/bin/checkov" --quiet --compact --skip-download)
step "checkov $("$venv/bin/checkov" --version): infra/cloudformation"
"${checkov[@]}" -d infra/cloudformation --framework cloudformation || failed+=("checkov cloudformation")

if [[ -d infra/terraform ]]; then
  step "checkov $("$venv/bin/checkov" --version): infra/terraform"
  "${checkov[@]}" -d infra/terraform --framework terraform || failed+=("checkov terraform")
fi

if [[ -f infra/cloudformation/workers.yaml ]]; then
  if command -v shellcheck >/dev/null 2>&1; then
    step "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): workers.yaml user data"
    if "$venv/bin/python" scripts/infra/render-user-data.py infra/cloudformation/workers.yaml | shellcheck --shell=bash -; then
      echo "clean"
    else
      failed+=("shellcheck user data")
    fi
  else
    step "shellcheck not installed: the workers' user data was not checked (apt-get install -y shellcheck)"
  fi
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  printf '\nFAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
printf '\nall clean\n'
