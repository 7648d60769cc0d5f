#!/bin/sh
# Builds the Linux prebuild inside a container (the release workflow runs it with
# `docker run ... node:20-bullseye` for glibc and `node:20-alpine` for musl), checks it, and
# smoke-tests it there. Output (scripts/build-prebuilds.mjs names it): prebuilds/linux-<arch>/
# node.napi[.armv8][.musl].node, the names @electron/rebuild and node-gyp-build both accept.
#
# glibc: Debian 11 (glibc 2.31, GCC 10). The addon binds its few glibc symbols to old versions
# (native/linux-tpm/glibc_compat.h), so it needs glibc >= 2.17 and libstdc++ >= GCC 10's
# (GLIBCXX_3.4.28); both are checked. No tss2 package is installed: the TPM tier's declarations
# are vendored (native/linux-tpm/vendor/tss2) and the libraries are dlopen'ed at run time.
# musl: Alpine; the user needs libstdc++ (Node on Alpine already does).
set -eu
cd "$(dirname "$0")/.."

if [ -f /etc/alpine-release ]; then
  libc=musl
  apk add --no-cache build-base python3 linux-headers binutils
else
  libc=glibc
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    build-essential python3 binutils
fi

# The dev tools (prebuildify, typescript, node-addon-api), without compiling anything yet
# (npm install follows package-lock.json; see the README on why not npm ci).
npm install --ignore-scripts --no-audit --no-fund
npm run build
npm run build:prebuilds

arch=$(node -p process.arch)
name=node.napi
[ "$arch" = arm64 ] && name=$name.armv8
[ "$libc" = musl ] && name=$name.musl
file=prebuilds/linux-$arch/$name.node
[ -f "$file" ] || { echo "ci-prebuild-linux: $file was not produced" >&2; ls -R prebuilds >&2; exit 1; }
if [ "$libc" = glibc ]; then
  node scripts/check-prebuild.mjs --load --expect-tpm --max-glibc=2.17 --max-glibcxx=3.4.28 "$file"
else
  node scripts/check-prebuild.mjs --load --expect-tpm "$file"
fi

# Smoke: with build/ gone, the package loads this prebuild and the file tier signs and verifies.
rm -rf build
store=$(mktemp -d)
export PREBUILDS_ONLY=1
node -e '
  const n = require("./dist/native.js").loadNative();
  if (!n.ok || !n.path.endsWith(process.argv[1])) { console.error(n); process.exit(1); }
  console.log("loaded", n.path);' "$file"
printf 'hello from %s\n' "$libc" >"$store.msg"
node dist/cli/main.js init --name ci --backend encrypted-file --dir "$store" >/dev/null
node dist/cli/main.js sign --dir "$store" --in "$store.msg" --out "$store.sig"
node dist/cli/main.js verify --dir "$store" --in "$store.msg" --signature "$store.sig"
echo "ci-prebuild-linux: $file OK"
