#!/usr/bin/env bash
# ExecStartPre= of filesearch.service (installed as /usr/local/libexec/filesearch/preflight-gate):
# `filesearch preflight`, read with the unit's restart policy in mind.
#
#   exit 0  every check passed or warned, or the only FAILs are servers that do not answer yet
#           (`transient`): `run` waits for those itself (index_unavailable_at_start), whereas a
#           failing ExecStartPre would burn StartLimitBurst and leave the instance idle for good.
#   exit 0  on a configuration error (preflight exit 78): `run` then exits 78 on the same error as
#           the main process, and RestartPreventExitStatus=78 (which only looks at the main
#           process) stops the restarts at once instead of after StartLimitBurst attempts.
#   exit 1  a FAIL that will not fix itself (tesseract language data missing, a dependency set
#           that does not load, no disk, …): the service does not start and consumes nothing.
#   other   preflight's own exit code (a usage error, a crash).
set -uo pipefail

FILESEARCH="${FILESEARCH_BIN:-/usr/local/bin/filesearch}"
NODE="${FILESEARCH_NODE:-node}"

report="$("$FILESEARCH" preflight --json)"
rc=$?

if [ "$rc" -eq 78 ]; then
  echo "preflight-gate: configuration invalid (see above); 'filesearch run' will exit 78 and systemd will not restart it" >&2
  exit 0
fi
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  echo "preflight-gate: 'filesearch preflight' exited $rc" >&2
  exit "$rc"
fi

# One line per check that is not PASS, then the verdict as the exit code (0 go, 1 stop).
# shellcheck disable=SC2016 # JavaScript, not shell
printf '%s' "$report" | "$NODE" -e '
  let report;
  try {
    report = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  } catch (err) {
    console.error(`preflight-gate: no report from preflight (${err.message})`);
    process.exit(1);
  }
  for (const c of report.checks) {
    if (c.status !== "PASS") console.error(`preflight-gate: ${c.status} ${c.check}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ""}${c.transient ? " [transient]" : ""}`);
  }
  const fatal = report.checks.filter((c) => c.status === "FAIL" && c.transient !== true);
  const waiting = report.checks.filter((c) => c.status === "FAIL" && c.transient === true);
  if (fatal.length > 0) {
    console.error(`preflight-gate: not starting: ${fatal.map((c) => c.check).join(", ")}`);
    process.exit(1);
  }
  console.error(waiting.length > 0 ? `preflight-gate: starting; run waits for ${waiting.map((c) => c.check).join(", ")}` : "preflight-gate: ready");
'
