#!/usr/bin/env bash
# Builds Packer and its Amazon plugin from source, through the Go module proxy, into the machine's
# cache, and prints the environment that uses them:
#
#   eval "$(scripts/infra/install-packer.sh)"   # sets PACKER, PACKER_PLUGIN_PATH, CHECKPOINT_DISABLE
#   "$PACKER" validate infra/packer
#
# Why from source: CI reaches the Debian and npm registries and the Go module proxy, but not
# releases.hashicorp.com or GitHub releases, so neither the Packer zip nor `packer init` (which
# downloads plugins from GitHub) can work there. Both modules have `replace` directives in their
# go.mod, which `go install module@version` refuses, so each is downloaded with `go mod download`
# and built in its own directory: its own go.sum then pins every dependency.
#
# The Go toolchain: the Amazon plugin 1.8 needs Go >= 1.24 (Packer 1.12 needs 1.21). A `go` that is older (Debian bookworm's
# golang-go is 1.19, too old even for GOTOOLCHAIN=auto, which came with 1.21) is used only to fetch
# the official toolchain module golang.org/toolchain from the same proxy (checked against the
# proxy's checksum database like any module).
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/filesearch-worker/packer-<packer>-amazon-<plugin>/, built once
# under a temporary name and renamed, so an interrupted build never looks finished. GOPATH,
# GOMODCACHE and GOCACHE live in a scratch dir that is removed afterwards. A cold build takes
# about 6 minutes on 2 cores (both binaries); a warm cache returns at once.
set -euo pipefail

# 1.12.0: the newest Packer whose go.mod, source zip and checksum-database entry all resolved
# through the module proxy CI uses when this was written (1.13.x and 1.14.x each lacked one of them;
# the build refuses an unverified module rather than turning GOSUMDB off).
PACKER_VERSION="${PACKER_VERSION:-1.12.0}"
AMAZON_PLUGIN_VERSION="${AMAZON_PLUGIN_VERSION:-1.8.0}"
GO_TOOLCHAIN_VERSION="1.24.10" # used only when the `go` found is older than 1.24
GO="${FILESEARCH_GO:-}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/filesearch-worker"
dest="$cache_root/packer-$PACKER_VERSION-amazon-$AMAZON_PLUGIN_VERSION"

log() { echo "install-packer: $*" >&2; }

print_env() {
  printf 'export PACKER=%q\n' "$dest/bin/packer"
  printf 'export PACKER_PLUGIN_PATH=%q\n' "$dest/plugins"
  # No version check-ups to checkpoint-api.hashicorp.com (unreachable in CI, and not wanted).
  printf 'export CHECKPOINT_DISABLE=1\n'
}

if [ -x "$dest/bin/packer" ] && [ -f "$dest/.complete" ]; then
  print_env
  exit 0
fi

# go_minor GO: the minor version of a `go` binary (1.24.10 → 24), or 0.
go_minor() {
  local v
  v="$("$1" env GOVERSION 2>/dev/null || true)"
  if [[ $v =~ ^go1\.([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

if [ -z "$GO" ]; then
  for candidate in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then GO="$candidate"; break; fi
  done
fi
if [ -z "$GO" ]; then
  log "no Go found: install Debian's golang-go (apt-get install golang-go) or set FILESEARCH_GO"
  exit 1
fi

mkdir -p "$cache_root"
scratch="$(mktemp -d "$cache_root/.packer-build.XXXXXX")"
cleanup() {
  chmod -R u+w "$scratch" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

export GOPATH="$scratch/gopath" GOMODCACHE="$scratch/mod" GOCACHE="$scratch/build"
export GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
# Outside any module, `go mod download` needs a module to run in.
mkdir -p "$scratch/dl"
printf 'module download\n\ngo 1.19\n' >"$scratch/dl/go.mod"

# module_dir MODULE@VERSION: downloads one module into the scratch module cache, prints its dir.
module_dir() {
  local json
  json="$(cd "$scratch/dl" && "$GO" mod download -json "$1")"
  if grep -q '"Error"' <<<"$json"; then
    log "cannot download $1: $json"
    return 1
  fi
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json"
}

started=$SECONDS
if [ "$(go_minor "$GO")" -lt 24 ]; then
  arch="$("$GO" env GOARCH)"
  log "$GO is $("$GO" env GOVERSION); fetching the go$GO_TOOLCHAIN_VERSION toolchain module"
  toolchain_src="$(module_dir "golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-$arch")"
  cp -R "$toolchain_src" "$scratch/go"
  # Module zips do not keep executable bits (Go's own toolchain switch restores them the same way).
  chmod -R u+w "$scratch/go"
  chmod +x "$scratch/go/bin/"* "$scratch/go/pkg/tool/"*/*
  GO="$scratch/go/bin/go"
fi
log "building with $("$GO" env GOVERSION)"

mkdir -p "$scratch/out/bin" "$scratch/out/plugins"

# build MODULE@VERSION OUTPUT [LDFLAGS]: builds the module's main package in its own directory.
build() {
  local dir t0=$SECONDS
  dir="$(module_dir "$1")"
  (cd "$dir" && "$GO" build -trimpath -ldflags "-s -w ${3:-}" -o "$2" .)
  log "built $1 in $((SECONDS - t0)) s"
}

# Packer reads its version from an embedded VERSION file; GitCommit is what `packer version` shows.
build "github.com/hashicorp/packer@v$PACKER_VERSION" "$scratch/out/bin/packer" \
  "-X github.com/hashicorp/packer/version.GitCommit=v$PACKER_VERSION"
build "github.com/hashicorp/packer-plugin-amazon@v$AMAZON_PLUGIN_VERSION" "$scratch/packer-plugin-amazon"

# `packer plugins install --path` asks the binary to describe itself (version, API version) and
# installs it under the name and checksum file that `required_plugins` resolution looks for.
CHECKPOINT_DISABLE=1 PACKER_PLUGIN_PATH="$scratch/out/plugins" \
  "$scratch/out/bin/packer" plugins install --path "$scratch/packer-plugin-amazon" github.com/hashicorp/amazon >&2
"$scratch/out/bin/packer" version >&2

touch "$scratch/out/.complete"
rm -rf "$dest"
mv "$scratch/out" "$dest"
log "installed into $dest in $((SECONDS - started)) s"
print_env
