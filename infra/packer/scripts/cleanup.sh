#!/usr/bin/env bash
# Leaves nothing of the build machine in the image: build tools, caches, logs, SSH host keys and
# the builder's authorized key, shell history, cloud-init's state (so every instance runs its
# first boot, including new host keys), and the machine id.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get -y -q purge build-essential
apt-get -y -q autoremove --purge
apt-get -y -q clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

rm -rf /tmp/filesearch-image /root/.npm /root/.cache /root/.node-gyp /root/.gnupg
rm -f /etc/filesearch/filesearch.env

# Logs of the build.
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate -s 0 {} +

# SSH: host keys are generated anew on each instance's first boot (cloud-init); the key Packer
# logged in with goes too.
rm -f /etc/ssh/ssh_host_*
rm -f /home/*/.ssh/authorized_keys /root/.ssh/authorized_keys

# History of every shell on the builder.
rm -f /root/.bash_history /home/*/.bash_history /root/.lesshst /root/.viminfo

# cloud-init runs from scratch on the next boot (instance id, user data, host keys).
cloud-init clean --logs --seed

# A fresh machine id (and with it the DHCP client id and journal directory) per instance.
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id /var/lib/systemd/random-seed

sync
