"""Prints the workers' user data as the instance would run it, for shellcheck.

CloudFormation's ${Param} substitutions become the parameter's default (or `example` when it has
none), pseudo parameters plausible values, and ${!Literal} the literal ${Literal}. Runs in the
validators' venv: it parses the template with cfn-lint's own YAML loader (the !Sub tags).
"""

import re
import sys

from cfnlint.decode import decode

PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "filesearch-workers",
    "AWS::URLSuffix": "amazonaws.com",
}


def main(path: str) -> int:
    template, problems = decode(path)
    if template is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    data = template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    script = data["UserData"]["Fn::Base64"]["Fn::Sub"]
    params = template.get("Parameters", {})

    def value(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in PSEUDO:
            return PSEUDO[name]
        default = params.get(name, {}).get("Default")
        if default is None and name not in params:
            raise SystemExit(f"{path}: user data substitutes ${{{name}}}, which is no parameter")
        return "example" if default in (None, "") else str(default)

    sys.stdout.write(re.sub(r"\$\{([^}]+)\}", value, script))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
