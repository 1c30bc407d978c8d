#!/usr/bin/env bash
# Installs the system packages TransformerExplorer needs, and nothing else.
# Idempotent and quiet: when everything is present it only checks and exits.
#   libcairo2-dev   Cairo headers and library, found through pkg-config
#   libpango1.0-dev Pango (pangocairo): text layout with per-character font fallback and shaping
#   pkg-config      how SwiftPM finds Cairo
#   zlib1g-dev      zlib headers: the PNG encoder's checksums (libcairo2-dev pulls it in too)
#   fonts-wqy-microhei  a CJK font, so Chinese labels render as glyphs, not boxes
#   fonts-dejavu-core   the Latin font the figures use
#   fonts-noto-color-emoji  an emoji font, so 🍕 in a label is a pizza, not a box
#   tmux            not needed to run; lets you step through lessons in a split terminal
# With --browser it also installs Debian's chromium, which only the headless-browser test of
# the interactive HTML view needs (scripts/test.sh asks for it). With --bench it also installs
# cmake and g++, which only scripts/bench.sh needs, to build llama.cpp as its baseline.
set -euo pipefail

needed=(libcairo2-dev libpango1.0-dev zlib1g-dev pkg-config fonts-wqy-microhei fonts-dejavu-core
        fonts-noto-color-emoji)
for option in "$@"; do
  case "$option" in
    --browser) needed+=(chromium) ;;
    --bench) needed+=(cmake g++) ;;
    *) echo "setup: unknown option $option (known: --browser, --bench)" >&2; exit 2 ;;
  esac
done
missing=()
for pkg in "${needed[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "setup: need root to install: ${missing[*]}" >&2
  echo "setup: run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v fc-cache >/dev/null 2>&1; then fc-cache -f >/dev/null 2>&1 || true; fi
echo "setup: done" >&2
