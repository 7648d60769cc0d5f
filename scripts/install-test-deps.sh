#!/usr/bin/env bash
# Installs the system tools the test suite uses, from Debian/Ubuntu apt:
#   openssl     the independent signature verifier in the tests
#   util-linux  `script`, which gives the CLI a pseudo-terminal for the progress-indicator test
# Runs apt only when something is missing. Needs root (or sudo) on a fresh machine.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v script >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-deps: everything is present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-test-deps: need root or sudo to install: ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-test-deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
