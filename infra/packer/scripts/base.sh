#!/usr/bin/env bash
# OS layer of the worker image: Debian's packages for OCR and PDF (the same ones
# scripts/install-system-deps.sh installs for the tests), the tools the image build and user data
# need, security updates, and the service account.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# cloud-init may still be writing apt sources on a fresh instance.
cloud-init status --wait >/dev/null 2>&1 || true

apt-get update -q
apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade

packages=(
  # OCR: Japanese (horizontal and vertical), English, orientation detection.
  tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-eng tesseract-ocr-osd
  # PDF text (pdftotext), rendering of scanned pages (pdftoppm), CJK character maps.
  poppler-utils poppler-data
  # Node tarball download and signature check.
  ca-certificates curl gnupg xz-utils
  # user-data.sh: SSM parameters, IMDS.
  awscli
  # better-sqlite3 compiles when no prebuilt binary matches; removed again by cleanup.sh.
  build-essential python3
  unattended-upgrades logrotate
)
apt-get -y -q install --no-install-recommends "${packages[@]}"
# Everything above except the compilers stays; cleanup.sh purges these after the app is built.
apt-mark auto build-essential python3 >/dev/null

# Security updates keep applying on long-lived instances (the image is rebuilt for the rest).
cat >/etc/apt/apt.conf.d/20auto-upgrades <<'CONF'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
CONF

# The service account: no login, no home outside its state directory.
if ! id filesearch >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/filesearch --no-create-home --shell /usr/sbin/nologin filesearch
fi
