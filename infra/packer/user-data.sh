#!/usr/bin/env bash
# First boot of a worker instance: writes /etc/filesearch/filesearch.env, runs the worker's
# pre-flight, starts the service and the DLQ timer. Baked into the AMI as
# /usr/local/libexec/filesearch/user-data (the launch template's cloud-config runs it), and usable
# as EC2 user data as it is.
#
# Settings, a later source winning for the same key:
#   1. /etc/filesearch/bootstrap.env — KEY=VALUE lines the launch template writes from its template
#      variables (cloud-config write_files; infra/terraform/templates/cloud-config.yaml.tftpl)
#   2. instance tags "filesearch:KEY" (IMDS; the launch template enables instance metadata tags)
#   3. SSM parameters <ssm_path>/KEY (SecureString decrypted: the place for OPENSEARCH_PASSWORD)
# UPPER_CASE names are worker configuration keys; only keys of the installed worker's schema
# (/usr/local/share/filesearch/config-keys) are written, anything else is reported and skipped.
# lower_case names configure this script: ssm_path, log_group (bootstrap.env, or the tags
# filesearch:ssm-path and filesearch:log-group).
# Unless set, AWS_REGION is the instance's region, WORKER_ID its instance id, and ASG_NAME the
# group it belongs to (tag aws:autoscaling:groupName).
#
#   user-data.sh                   first boot: configure, pre-flight, start
#   user-data.sh --configure-only  rewrite the env file and drop-ins (after a tag/SSM change), then
#                                  `systemctl restart filesearch` to apply
set -euo pipefail

ETC_DIR="${FILESEARCH_ETC_DIR:-/etc/filesearch}"
UNIT_DIR="${FILESEARCH_UNIT_DIR:-/etc/systemd/system}"
KEYS_FILE="${FILESEARCH_KEYS_FILE:-/usr/local/share/filesearch/config-keys}"
IMDS="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
CW_AGENT_DIR=/opt/aws/amazon-cloudwatch-agent
configure_only=false
[ "${1:-}" = --configure-only ] && configure_only=true

log() { echo "filesearch user-data: $*" >&2; }

declare -A config=() # worker configuration, KEY -> value
declare -A meta=()   # this script's settings: ssm_path, log_group
mapfile -t known_keys <"$KEYS_FILE"

is_config_key() {
  local k
  for k in "${known_keys[@]}"; do [ "$k" = "$1" ] && return 0; done
  return 1
}

# put SOURCE NAME VALUE: one setting from one source.
put() {
  local source="$1" name="$2" value="$3"
  if [[ $value == *$'\n'* ]]; then
    log "$source: $name spans lines; skipped"
  elif [[ $name =~ ^[a-z][a-z0-9_]*$ ]]; then
    meta[$name]="$value"
  elif is_config_key "$name"; then
    config[$name]="$value"
  else
    log "$source: $name is not a configuration key of this worker; skipped"
  fi
}

# --- 1. bootstrap.env (launch template variables) ---
if [ -f "$ETC_DIR/bootstrap.env" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      put bootstrap.env "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
      log "bootstrap.env: not KEY=VALUE: $line"
    fi
  done <"$ETC_DIR/bootstrap.env"
fi

# --- 2. instance metadata (IMDSv2) and tags ---
imds_token="$(curl -q -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token" || true)"
imds() { curl -q -fsS -m 5 -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS/latest/meta-data/$1"; }
instance_id="" region="" group=""
if [ -n "$imds_token" ]; then
  instance_id="$(imds instance-id || true)"
  region="$(imds placement/region || true)"
  if tag_keys="$(imds tags/instance)"; then
    while IFS= read -r tag; do
      case "$tag" in
        aws:autoscaling:groupName) group="$(imds "tags/instance/$tag" || true)" ;;
        filesearch:ssm-path) put tag ssm_path "$(imds "tags/instance/$tag")" ;;
        filesearch:log-group) put tag log_group "$(imds "tags/instance/$tag")" ;;
        filesearch:*) put tag "${tag#filesearch:}" "$(imds "tags/instance/$tag")" ;;
      esac
    done <<<"$tag_keys"
  else
    log "instance tags are not in the metadata (InstanceMetadataTags disabled): using bootstrap.env and SSM only"
  fi
else
  log "no instance metadata at $IMDS: using bootstrap.env only"
fi

# --- 3. SSM parameters ---
ssm_path="${meta[ssm_path]:-}"
if [ -n "$ssm_path" ]; then
  ssm_region="${config[AWS_REGION]:-$region}"
  # JSON, not text output: a value may contain tabs. Node is on the image anyway. An unreadable
  # path stops here: a worker started without its secrets would only fail later, less clearly.
  # shellcheck disable=SC2016 # JavaScript, not shell
  if ! ssm_lines="$(aws ssm get-parameters-by-path --path "$ssm_path" --recursive --with-decryption \
    --region "$ssm_region" --output json |
    node -e '
      const out = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
      for (const p of out.Parameters ?? []) {
        const name = p.Name.split("/").pop();
        if (p.Value.includes("\n")) console.error(`filesearch user-data: ssm: ${name} spans lines; skipped`);
        else console.log(`${name}=${p.Value}`);
      }
    ')"; then
    log "cannot read the SSM parameters under $ssm_path (IAM ssm:GetParametersByPath, kms:Decrypt?)"
    exit 1
  fi
  while IFS= read -r line; do
    if [ -n "$line" ]; then put "ssm:$ssm_path" "${line%%=*}" "${line#*=}"; fi
  done <<<"$ssm_lines"
fi

# --- defaults from the instance ---
if [ -z "${config[AWS_REGION]:-}" ] && [ -n "$region" ]; then config[AWS_REGION]="$region"; fi
if [ -z "${config[WORKER_ID]:-}" ] && [ -n "$instance_id" ]; then config[WORKER_ID]="$instance_id"; fi
if [ -z "${config[ASG_NAME]:-}" ] && [ -n "$group" ]; then config[ASG_NAME]="$group"; fi

# --- the env file (systemd EnvironmentFile= syntax) ---
# env_value VALUE: as is when plain, else double-quoted with \ " $ ` escaped.
env_value() {
  if [[ $1 =~ ^[A-Za-z0-9_.,:/@+=%-]*$ ]]; then
    printf '%s' "$1"
  else
    local v="${1//\\/\\\\}"
    v="${v//\"/\\\"}"
    v="${v//\$/\\\$}"
    v="${v//\`/\\\`}"
    printf '"%s"' "$v"
  fi
}

mkdir -p "$ETC_DIR"
tmp="$(mktemp "$ETC_DIR/.filesearch.env.XXXXXX")"
{
  echo "# Written by filesearch user-data on $(date -u +%Y-%m-%dT%H:%M:%SZ); edits are overwritten on --configure-only."
  for key in $(printf '%s\n' "${!config[@]}" | sort); do
    echo "$key=$(env_value "${config[$key]}")"
  done
} >"$tmp"
chmod 0640 "$tmp"
if getent group filesearch >/dev/null; then chgrp filesearch "$tmp"; fi
mv -f "$tmp" "$ETC_DIR/filesearch.env"
log "wrote $ETC_DIR/filesearch.env (${#config[@]} keys: $(printf '%s\n' "${!config[@]}" | sort | tr '\n' ' '))"

# --- drop-ins: CPU quota for this instance size, stop timeout for this drain deadline ---
drain="${config[DRAIN_TIMEOUT]:-60}"
if ! [[ $drain =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  log "DRAIN_TIMEOUT=$drain is not a number of seconds; the worker will refuse it (exit 78)"
  drain=60
fi
stop_timeout=$(( ${drain%.*} + 30 ))
[ "$stop_timeout" -ge 90 ] || stop_timeout=90
vcpus="$(nproc)"
mkdir -p "$UNIT_DIR/filesearch.service.d"
cat >"$UNIT_DIR/filesearch.service.d/50-instance.conf" <<EOF
# Written by filesearch user-data for this instance.
[Service]
# All vCPUs but a tenth of one (for sshd, the CloudWatch agent, the DLQ timer).
CPUQuota=$(( vcpus * 100 - 10 ))%
# DRAIN_TIMEOUT ($drain s) + 30 s for the bulk flush and clean-up; never below the unit's 90 s.
TimeoutStopSec=$stop_timeout
EOF

if $configure_only; then
  log "configured; apply with: systemctl daemon-reload && systemctl restart filesearch.service"
  exit 0
fi

# --- logs and metrics to CloudWatch ---
log_group="${meta[log_group]:-/filesearch/worker}"
if [ -x "$CW_AGENT_DIR/bin/amazon-cloudwatch-agent-ctl" ]; then
  sed "s|__LOG_GROUP__|$log_group|" "$CW_AGENT_DIR/etc/filesearch.json.template" >"$CW_AGENT_DIR/etc/filesearch.json"
  "$CW_AGENT_DIR/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s -c "file:$CW_AGENT_DIR/etc/filesearch.json" ||
    log "the CloudWatch agent did not start: logs and EMF metrics stay on the instance"
fi

systemctl daemon-reload

# --- pre-flight, in the service's own environment (systemd parses the env file, as for the unit) ---
preflight_status=0
systemd-run --quiet --wait --pipe --collect --uid=filesearch --gid=filesearch \
  -p EnvironmentFile="$ETC_DIR/filesearch.env" -p Environment=FILESEARCH_HOME=/var/lib/filesearch \
  -p Environment=TEMP_DIR=/var/tmp -p StateDirectory=filesearch -p PrivateTmp=yes \
  /usr/local/bin/filesearch preflight || preflight_status=$?
case "$preflight_status" in
  0) log "pre-flight passed" ;;
  78)
    log "the configuration is invalid (above): not starting the worker; fix the settings and run $0 again"
    exit 78
    ;;
  *) log "pre-flight reported FAIL (above): the unit's gate starts the worker only if it is waiting for a server" ;;
esac

# --no-block: READY=1 may wait for an index that is still coming up; cloud-init need not.
systemctl enable --now --no-block filesearch.service filesearch-dlq-reprocess.timer
log "filesearch.service and filesearch-dlq-reprocess.timer enabled and started"
