#!/usr/bin/env bash
# Rolls a new worker AMI through an Auto Scaling group, a few instances at a time:
#   1. a new launch template version: the version the group runs now, with the new ImageId
#   2. an instance refresh to exactly that version (desired configuration), keeping
#      --min-healthy percent of the group in service, pausing at each checkpoint, rolling back
#      by itself if it fails or if a --rollback-alarm fires
#   3. waits and reports progress, then the group's instances and their versions
# Each replaced worker drains first: the group's termination lifecycle hook holds the instance
# while the worker finishes its messages (DRAIN_TIMEOUT) and completes the hook.
#
#   infra/deploy/rolling-deploy.sh --asg filesearch-workers --manifest infra/packer/.cache/manifest.json
#   infra/deploy/rolling-deploy.sh --asg filesearch-workers --ami ami-0123456789abcdef0 --dry-run
#
# Needs the aws CLI (v2) and node (to read the Packer manifest and edit JSON). --dry-run calls
# nothing: it prints every command, with <placeholders> for what earlier calls would return.
# Exit: 0 refresh successful, 1 failed / cancelled / rolled back, 2 usage, 3 still running at --timeout.
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  cat <<'EOF'
Options:
  --asg NAME               Auto Scaling group (required)
  --ami ID                 AMI to roll out, or:
  --manifest FILE          Packer manifest (infra/packer/.cache/manifest.json): its last build's AMI
  --region REGION          default: $AWS_REGION, $AWS_DEFAULT_REGION, or the manifest's region
  --min-healthy PCT        MinHealthyPercentage (default 90)
  --max-healthy PCT        MaxHealthyPercentage (default 100; above 100 launches before terminating)
  --warmup SECONDS         InstanceWarmup (default 120)
  --checkpoints LIST       CheckpointPercentages, e.g. 25,50,100 (default; "none" for no pauses)
  --checkpoint-delay SECS  CheckpointDelay: the pause at each checkpoint (default 300)
  --rollback-alarm NAME    roll back when this CloudWatch alarm fires (repeatable)
  --timeout SECONDS        stop waiting after this long (default 7200); the refresh carries on
  --no-wait                start the refresh and return
  --dry-run                print the commands, call nothing
EOF
}

asg="" ami="" manifest="" region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
min_healthy=90 max_healthy=100 warmup=120 checkpoints="25,50,100" checkpoint_delay=300
timeout=7200 poll=30 wait=true dry_run=false
alarms=()

need_value() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then
    echo "rolling-deploy: $1 needs a value" >&2
    exit 2
  fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --asg) need_value "$@"; asg="$2"; shift 2 ;;
    --ami) need_value "$@"; ami="$2"; shift 2 ;;
    --manifest) need_value "$@"; manifest="$2"; shift 2 ;;
    --region) need_value "$@"; region="$2"; shift 2 ;;
    --min-healthy) need_value "$@"; min_healthy="$2"; shift 2 ;;
    --max-healthy) need_value "$@"; max_healthy="$2"; shift 2 ;;
    --warmup) need_value "$@"; warmup="$2"; shift 2 ;;
    --checkpoints) need_value "$@"; checkpoints="$2"; shift 2 ;;
    --checkpoint-delay) need_value "$@"; checkpoint_delay="$2"; shift 2 ;;
    --rollback-alarm) need_value "$@"; alarms+=("$2"); shift 2 ;;
    --timeout) need_value "$@"; timeout="$2"; shift 2 ;;
    --no-wait) wait=false; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "rolling-deploy: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail_usage() { echo "rolling-deploy: $*" >&2; exit 2; }
[ -n "$asg" ] || fail_usage "--asg is required"
[ -n "$ami" ] || [ -n "$manifest" ] || fail_usage "give --ami or --manifest"
for n in "$min_healthy" "$max_healthy" "$warmup" "$checkpoint_delay" "$timeout"; do
  [[ $n =~ ^[0-9]+$ ]] || fail_usage "not a whole number: $n"
done
[ "$min_healthy" -le 100 ] || fail_usage "--min-healthy is a percentage (0-100)"
if [ "$max_healthy" -lt 100 ] || [ "$max_healthy" -gt 200 ]; then fail_usage "--max-healthy must be 100-200"; fi
[ "$checkpoints" = none ] || [[ $checkpoints =~ ^[0-9]+(,[0-9]+)*$ ]] || fail_usage "--checkpoints: e.g. 25,50,100"

log() { echo "rolling-deploy: $*" >&2; }

# Dry-run lines go to the script's stdout even from inside $(…).
exec 3>&1

# quote ARG: ARG as the shell reads it back, in single quotes when it needs any.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# run CMD...: runs it, or prints it (copy-pasteable) on --dry-run.
run() {
  if $dry_run; then
    local arg line="+"
    for arg in "$@"; do line+=" $(quote "$arg")"; done
    echo "$line" >&3
  else
    "$@"
  fi
}

# capture PLACEHOLDER CMD...: the command's output, or on --dry-run the printed command and the placeholder.
capture() {
  local placeholder="$1"
  shift
  if $dry_run; then
    run "$@"
    printf '%s' "$placeholder"
  else
    "$@"
  fi
}

# --- the AMI ---
if [ -z "$ami" ]; then
  [ -f "$manifest" ] || fail_usage "no manifest at $manifest (run the Packer build first, or pass --ami)"
  # artifact_id of the last run: "region:ami-…" (several with ami_regions).
  # shellcheck disable=SC2016 # JavaScript, not shell
  artifact="$(node -e '
    const m = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const build = m.builds.filter((b) => b.packer_run_uuid === m.last_run_uuid).pop();
    if (build === undefined) process.exit(1);
    process.stdout.write(build.artifact_id);
  ' "$manifest")" || fail_usage "no build of the last run in $manifest"
  for pair in ${artifact//,/ }; do
    if [ -z "$region" ] || [ "${pair%%:*}" = "$region" ]; then
      region="${pair%%:*}"
      ami="${pair#*:}"
      break
    fi
  done
  [ -n "$ami" ] || fail_usage "the manifest has no AMI in $region ($artifact)"
fi
[[ $ami =~ ^ami-[0-9a-f]{8,17}$ ]] || fail_usage "not an AMI id: $ami"
[ -n "$region" ] || fail_usage "no region: pass --region or set AWS_REGION"

started=$SECONDS
log "rolling $ami out to $asg ($region)"

state="$(capture available aws --region "$region" ec2 describe-images --image-ids "$ami" --query 'Images[0].State' --output text)"
[ "$state" = available ] || { log "$ami is not available (state: $state)"; exit 1; }

# --- the group's launch template: plain, or inside a mixed instances policy ---
# shellcheck disable=SC2016 # JMESPath literals, not shell
group_lt="$(capture '<lt-id> <version> <mixed:true|false>' aws --region "$region" autoscaling describe-auto-scaling-groups \
  --auto-scaling-group-names "$asg" --output text \
  --query 'AutoScalingGroups[0].[LaunchTemplate.LaunchTemplateId || MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId, LaunchTemplate.Version || MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version, MixedInstancesPolicy != `null`]')"
read -r lt_id lt_version mixed <<<"$group_lt"
if ! $dry_run && { [ -z "$lt_id" ] || [ "$lt_id" = None ]; }; then
  log "$asg not found, or it does not use a launch template"
  exit 1
fi

# --- 1. the new launch template version ---
new_version="$(capture '<new-version>' aws --region "$region" ec2 create-launch-template-version \
  --launch-template-id "$lt_id" --source-version "$lt_version" \
  --version-description "filesearch-worker $ami" \
  --launch-template-data "{\"ImageId\":\"$ami\"}" \
  --query 'LaunchTemplateVersion.VersionNumber' --output text)"
log "launch template $lt_id: version $new_version (from $lt_version) with $ami"

# --- 2. the instance refresh ---
if $dry_run || [ "$mixed" = True ]; then
  policy="$(capture '<the group'"'"'s MixedInstancesPolicy>' aws --region "$region" autoscaling describe-auto-scaling-groups \
    --auto-scaling-group-names "$asg" --query 'AutoScalingGroups[0].MixedInstancesPolicy' --output json)"
else
  policy=""
fi
# shellcheck disable=SC2016 # JavaScript, not shell
desired="$(node -e '
  const [ltId, version, policyText] = process.argv.slice(1);
  const spec = { LaunchTemplateId: ltId, Version: version };
  if (policyText === "" || policyText.startsWith("<")) {
    console.log(JSON.stringify(policyText === "" ? { LaunchTemplate: spec } : { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec } } }));
  } else {
    const policy = JSON.parse(policyText);
    policy.LaunchTemplate.LaunchTemplateSpecification = spec;
    console.log(JSON.stringify({ MixedInstancesPolicy: policy }));
  }
' "$lt_id" "$new_version" "$policy")"

# shellcheck disable=SC2016 # JavaScript, not shell
preferences="$(node -e '
  const [minHealthy, maxHealthy, warmup, checkpoints, delay, ...alarms] = process.argv.slice(1);
  const p = {
    MinHealthyPercentage: Number(minHealthy),
    MaxHealthyPercentage: Number(maxHealthy),
    InstanceWarmup: Number(warmup),
    SkipMatching: true,
    AutoRollback: true,
    ScaleInProtectedInstances: "Wait",
    StandbyInstances: "Wait",
  };
  if (checkpoints !== "none") {
    p.CheckpointPercentages = checkpoints.split(",").map(Number);
    p.CheckpointDelay = Number(delay);
  }
  if (alarms.length > 0) p.AlarmSpecification = { Alarms: alarms };
  console.log(JSON.stringify(p));
' "$min_healthy" "$max_healthy" "$warmup" "$checkpoints" "$checkpoint_delay" "${alarms[@]}")"

refresh_id="$(capture '<refresh-id>' aws --region "$region" autoscaling start-instance-refresh \
  --auto-scaling-group-name "$asg" --strategy Rolling \
  --desired-configuration "$desired" --preferences "$preferences" \
  --query InstanceRefreshId --output text)"
log "instance refresh $refresh_id started (min healthy $min_healthy %, checkpoints $checkpoints)"

if $dry_run; then
  run aws --region "$region" autoscaling describe-instance-refreshes --auto-scaling-group-name "$asg" --instance-refresh-ids "$refresh_id"
  exit 0
fi
if ! $wait; then
  log "not waiting; follow it with: aws autoscaling describe-instance-refreshes --auto-scaling-group-name $asg --instance-refresh-ids $refresh_id"
  exit 0
fi

# --- 3. wait and report ---
last=""
while :; do
  # shellcheck disable=SC2016 # JMESPath literals, not shell
  status_line="$(aws --region "$region" autoscaling describe-instance-refreshes --auto-scaling-group-name "$asg" \
    --instance-refresh-ids "$refresh_id" --output text \
    --query 'InstanceRefreshes[0].[Status, PercentageComplete || `0`, InstancesToUpdate || `0`, StatusReason || `-`]')"
  IFS=$'\t' read -r status percent to_update reason <<<"$status_line"
  line="$status $percent% done, $to_update to update: $reason"
  [ "$line" = "$last" ] || log "$line ($((SECONDS - started)) s)"
  last="$line"
  case "$status" in
    Successful) result=0; break ;;
    Failed | Cancelled | RollbackSuccessful | RollbackFailed) result=1; break ;;
  esac
  if [ $((SECONDS - started)) -ge "$timeout" ]; then
    log "still $status after $timeout s; the refresh carries on (cancel: aws autoscaling cancel-instance-refresh --auto-scaling-group-name $asg)"
    exit 3
  fi
  sleep "$poll"
done

log "instances of $asg now:"
aws --region "$region" autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg" --output table \
  --query 'AutoScalingGroups[0].Instances[].{Instance:InstanceId,Type:InstanceType,Zone:AvailabilityZone,State:LifecycleState,Health:HealthStatus,Version:LaunchTemplate.Version}' >&2
if [ "$result" -eq 0 ]; then
  log "done: $asg runs $ami (launch template $lt_id version $new_version) after $((SECONDS - started)) s"
else
  log "the refresh ended $status: $reason"
fi
exit "$result"
