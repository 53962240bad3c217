#!/usr/bin/env bash
# Node.js from the official release tarball, into /usr/local (bin/node, bin/npm).
#
# Why not Debian's package: bookworm has Node 18 and the app needs >= 20. Why not NodeSource's apt
# repository: one more third-party repository with root-level trust on every instance, for one
# binary. The tarball is checked the way the official Docker images check it: SHASUMS256.txt.asc
# must carry a valid signature by one of the Node.js releasers' keys (nodejs/release-keys, pinned
# by fingerprint below), and the tarball must match its line in it. NODE_SHA256, when given, pins
# the exact bytes on top of that.
set -euo pipefail
: "${NODE_VERSION:?NODE_VERSION is required (e.g. 20.20.2)}"
NODE_SHA256="${NODE_SHA256:-}"

case "$(dpkg --print-architecture)" in
  amd64) arch=x64 ;;
  arm64) arch=arm64 ;;
  *) echo "install-node: unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac
tarball="node-v$NODE_VERSION-linux-$arch.tar.xz"
base="https://nodejs.org/dist/v$NODE_VERSION"

# The releasers of current Node.js lines (https://github.com/nodejs/node#release-keys).
release_keys=(
  5BE8A3F6C8A5C01D106C0AD820B1A390B168D356 # Antoine du Hamel
  C0D6248439F1D5604AAFFB4021D900FFDB233756 # Antoine du Hamel (older key)
  DD792F5973C6DE52C432CBDAC77ABFA00DDBF2B7 # Juan José Arboleda
  CC68F5A3106FF448322E48ED27F5E38D5B0A215F # Marco Ippolito
  8FCCA13FEF1D0C2E91008E09770F7A9A5AE15600 # Michaël Zasso
  890C08DB8579162FEE0DF9DB8BEAB4DFCF555EF4 # Rafael Gonzaga
  C82FA3AE1CBEDC6BE46B9360C43CEC45C17AB93C # Richard Lau
  108F52B48DB57BB0CC439B2997B01419BD92F80A # Ruy Adorno
  A363A499291CBBC940DD62E41F10027AF002F8B0 # Ulises Gascón
)

work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$work"' EXIT

for key in "${release_keys[@]}"; do
  gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$key" ||
    gpg --batch --keyserver hkps://keyserver.ubuntu.com --recv-keys "$key" ||
    echo "install-node: could not fetch key $key (the signature check below decides)" >&2
done

curl -q -fsSL --proto '=https' --retry 3 -o "$work/$tarball" "$base/$tarball"
curl -q -fsSL --proto '=https' --retry 3 -o "$work/SHASUMS256.txt.asc" "$base/SHASUMS256.txt.asc"
# --decrypt verifies the clear-signed file and fails on a bad or unknown signature.
gpg --batch --decrypt --output "$work/SHASUMS256.txt" "$work/SHASUMS256.txt.asc"
(cd "$work" && grep " $tarball\$" SHASUMS256.txt | sha256sum --check --strict -)
if [ -n "$NODE_SHA256" ]; then
  echo "$NODE_SHA256  $work/$tarball" | sha256sum --check --strict -
fi

tar -xJf "$work/$tarball" -C /usr/local --strip-components=1 --no-same-owner \
  --exclude='*/CHANGELOG.md' --exclude='*/README.md' --exclude='*/LICENSE'
node --version
npm --version
