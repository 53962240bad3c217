#!/usr/bin/env bash
# The app, its units and their helpers, the CloudWatch agent that ships its log (and with it the
# EMF metrics) to CloudWatch.
#
# Build: `npm ci --omit=dev` does not work for this package: npm runs the root package's `prepare`
# script (tsc) on `npm ci`, and tsc is a devDependency, so it fails with "tsc: not found"
# (checked: exit 127). Hence the full install (which builds dist/), then `npm prune --omit=dev`.
set -euo pipefail
: "${IMAGE_DIR:?IMAGE_DIR is required}"
APP_VERSION="${APP_VERSION:-dev}"
app=/opt/filesearch/app

# --- the app, owned by root and read-only to the service ---
rm -rf "$app"
mkdir -p "$app"
tar -xzf "$IMAGE_DIR/filesearch-src.tar.gz" -C "$app" --strip-components=1 --no-same-owner
cd "$app"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Native modules compile against this Node's own headers rather than downloaded ones.
export npm_config_nodedir=/usr/local
npm ci
npm run build
npm prune --omit=dev
npm cache clean --force
echo "$APP_VERSION" >"$app/VERSION"
chown -R root:root "$app"
chmod -R u=rwX,go=rX "$app"
ln -sfn "$app/bin/filesearch.js" /usr/local/bin/filesearch

# The configuration keys this build understands: user-data.sh writes no other key.
install -d -m 0755 /usr/local/share/filesearch
node --input-type=module -e "
  const { configKeys } = await import('$app/dist/config/schema.js');
  console.log(configKeys.join('\n'));
" >/usr/local/share/filesearch/config-keys
grep -qx SQS_QUEUE_URL /usr/local/share/filesearch/config-keys

# --- units, helpers, configuration directory ---
install -d -m 0755 /usr/local/libexec/filesearch
install -m 0755 "$IMAGE_DIR/systemd/filesearch-preflight-gate.sh" /usr/local/libexec/filesearch/preflight-gate
install -m 0755 "$IMAGE_DIR/user-data.sh" /usr/local/libexec/filesearch/user-data
for unit in filesearch.service filesearch-dlq-reprocess.service filesearch-dlq-reprocess.timer; do
  install -m 0644 "$IMAGE_DIR/systemd/$unit" "/etc/systemd/system/$unit"
done
install -d -m 0750 -o root -g filesearch /etc/filesearch
install -m 0640 -o root -g filesearch "$IMAGE_DIR/systemd/filesearch.env.example" /etc/filesearch/filesearch.env.example
# The worker's stdout (NDJSON logs + EMF lines), appended by systemd; rotated by copytruncate.
install -d -m 0755 /var/log/filesearch
install -m 0644 "$IMAGE_DIR/logrotate-filesearch" /etc/logrotate.d/filesearch
systemctl daemon-reload
# Not enabled here: the unit needs /etc/filesearch/filesearch.env, which user data writes on first
# boot and then enables the units (`enable --now`), so they also start on every later boot.

# --- CloudWatch agent: ships /var/log/filesearch/worker.log; CloudWatch Logs extracts the EMF
# metrics (namespace FileSearch/Worker) from it. The package is checked against Amazon's signing
# key, whose fingerprint AWS publishes ("Verifying the signature of the CloudWatch agent package").
cw_fingerprint=937616F3450B7D806CBD9725D58167303B789C72
cw_base="https://amazoncloudwatch-agent.s3.amazonaws.com"
work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$work"' EXIT
deb_arch="$(dpkg --print-architecture)"
curl -q -fsSL --proto '=https' --retry 3 -o "$work/agent.gpg" "$cw_base/assets/amazon-cloudwatch-agent.gpg"
curl -q -fsSL --proto '=https' --retry 3 -o "$work/agent.deb" "$cw_base/debian/$deb_arch/latest/amazon-cloudwatch-agent.deb"
curl -q -fsSL --proto '=https' --retry 3 -o "$work/agent.deb.sig" "$cw_base/debian/$deb_arch/latest/amazon-cloudwatch-agent.deb.sig"
gpg --batch --import "$work/agent.gpg"
# A keyring holding that one key only, so no other key in the download can vouch for the package.
gpg --batch --export "$cw_fingerprint" >"$work/agent.keyring"
[ -s "$work/agent.keyring" ] || { echo "install-app: CloudWatch agent key $cw_fingerprint not found" >&2; exit 1; }
gpgv --keyring "$work/agent.keyring" "$work/agent.deb.sig" "$work/agent.deb"
dpkg -i "$work/agent.deb"
install -m 0644 "$IMAGE_DIR/amazon-cloudwatch-agent.json" /opt/aws/amazon-cloudwatch-agent/etc/filesearch.json.template
