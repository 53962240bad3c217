#!/usr/bin/env bash
# The image checks itself before it is saved: the worker's own pre-flight (embedded mode, as the
# service account) must pass, which proves that Node loads the pruned dependency set, that
# tesseract has jpn, jpn_vert, eng and osd, and that poppler's tools are there; and systemd must
# accept the installed units with the real binaries in place.
set -euo pipefail

state="$(mktemp -d)"
chown filesearch:filesearch "$state"
trap 'rm -rf "$state"' EXIT

runuser -u filesearch -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
  FILESEARCH_HOME="$state" TEMP_DIR="$state" PDF_ENGINE=poppler OCR=auto OCR_LANGUAGES=jpn+jpn_vert+eng \
  /usr/local/bin/filesearch preflight

langs="$(tesseract --list-langs 2>/dev/null)"
for lang in jpn jpn_vert eng osd; do
  grep -qx "$lang" <<<"$langs" || { echo "verify-image: tesseract language $lang missing" >&2; exit 1; }
done

out="$(systemd-analyze verify filesearch.service filesearch-dlq-reprocess.service filesearch-dlq-reprocess.timer 2>&1)" || true
if [ -n "$out" ]; then
  echo "verify-image: systemd-analyze verify complained:" >&2
  echo "$out" >&2
  exit 1
fi
echo "verify-image: ok ($(node --version), $(tesseract --version 2>&1 | head -1), $(pdftotext -v 2>&1 | head -1))"
