#!/usr/bin/env bash
# Installs everything ktape needs on Debian 12 (run as root), then builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(
  clang llvm gcc make        # BPF and C shim compilers (llvm-strip)
  libbpf-dev libbpf1 bpftool # libbpf headers + library (loaded with koffi), vmlinux.h generation
  linux-libc-dev libelf-dev zlib1g-dev
  protobuf-compiler          # protoc: Perfetto proto codegen and export tests
  trace-cmd linux-perf bpftrace time  # peers for `npm run bench` (GNU time: the fixed-cost figures)
  util-linux                 # setpriv (unprivileged-path test)
  iproute2                   # ip netns, veth, nstat: the tcp and net families' namespace tests
  libzstd1 liblz4-1          # Arrow body compression of captures (loaded with koffi: formats/codec.ts)
  chromium                   # the HTML report's browser tests (playwright-core drives /usr/bin/chromium)
  firefox-esr                # ... and in Firefox (puppeteer-core drives /usr/bin/firefox-esr over WebDriver BiDi)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
npm run build
