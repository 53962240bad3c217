#!/usr/bin/env bash
# Installs the Debian packages the tests exercise (poppler for PDFs, Tesseract + Japanese data
# for OCR, Java/Maven/unzip/python3-venv for the real servers of scripts/test-servers, Go to build
# amazon-ec2-metadata-mock, shellcheck and systemd-analyze for infra/, Chromium and a Japanese font for
# the browser tests) when they are missing. Called by `npm test` (pretest) and by .ci/run.
# Without root or apt-get it says exactly what is missing and fails, so no test silently skips.
set -euo pipefail

declare -A need=(
  [pdftotext]=poppler-utils
  [pdftoppm]=poppler-utils
  [pdfinfo]=poppler-utils
  [tesseract]=tesseract-ocr
  # The infra tests: shellcheck on every script, systemd-analyze verify on the units.
  [shellcheck]=shellcheck
  [systemd-analyze]=systemd
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# Data packages have no command: check their files.
[ -d /usr/share/poppler/cMap ] || missing+=(poppler-data)
# The web app's browser tests (test/browser): Debian's Chromium driven by playwright-core, and a
# Japanese font so that the screenshots show Japanese rather than empty boxes.
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
  missing+=(fonts-ipafont-gothic)
fi
# OCR languages: Japanese (horizontal and vertical), English, and orientation detection.
declare -A lang_pkg=([jpn]=tesseract-ocr-jpn [jpn_vert]=tesseract-ocr-jpn-vert [eng]=tesseract-ocr-eng [osd]=tesseract-ocr-osd)
langs="$(tesseract --list-langs 2>/dev/null || true)"
for lang in "${!lang_pkg[@]}"; do
  grep -qx "$lang" <<<"$langs" || missing+=("${lang_pkg[$lang]}")
done
# Real servers for the tests (scripts/test-servers): Java 17 runs OpenSearch and ElasticMQ, Maven
# resolves ElasticMQ's classpath, unzip unpacks OpenSearch, and moto needs python3 with venv
# (Debian ships venv/ensurepip separately, in python3-venv).
if [ "${FILESEARCH_TEST_SERVERS:-}" != none ]; then
  if [ -z "${FILESEARCH_TEST_JAVA_HOME:-}" ] && ! compgen -G '/usr/lib/jvm/java-17-openjdk-*/bin/java' >/dev/null; then
    missing+=(openjdk-17-jre-headless)
  fi
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  if [ -z "${FILESEARCH_TEST_PYTHON:-}" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
      missing+=(python3 python3-venv)
    elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
      missing+=(python3-venv)
    fi
  fi
fi
# Go builds amazon-ec2-metadata-mock (scripts/test-servers/ec2-metadata-mock.mjs) for the
# instance-notice tests, which run even with FILESEARCH_TEST_SERVERS=none. Its go.mod says go 1.17:
# Debian bookworm's golang-go (Go 1.19, /usr/bin/go) builds it. FILESEARCH_TEST_GO overrides `go`.
go_too_old=
if [ -z "${FILESEARCH_TEST_GO:-}" ]; then
  if ! command -v go >/dev/null 2>&1; then
    missing+=(golang-go)
  else
    go_version="$(go env GOVERSION 2>/dev/null || true)"
    if ! [[ $go_version =~ go1\.([0-9]+) ]] || [ "${BASH_REMATCH[1]}" -lt 17 ]; then
      go_too_old="$(command -v go) (${go_version:-unknown version})"
    fi
  fi
fi
if [ -n "$go_too_old" ]; then
  # Installing golang-go would not change which `go` PATH finds.
  echo "install-system-deps: $go_too_old is older than Go 1.17, which amazon-ec2-metadata-mock needs:" \
    "put a newer go first on PATH or set FILESEARCH_TEST_GO to one (e.g. /usr/lib/go-1.19/bin/go from golang-go)" >&2
fi
if [ ${#missing[@]} -eq 0 ]; then
  [ -z "$go_too_old" ] || exit 1
  exit 0
fi

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: run as root on Debian/Ubuntu: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system-deps: installed ${missing[*]}" >&2
[ -z "$go_too_old" ] || exit 1
