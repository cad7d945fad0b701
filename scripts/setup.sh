#!/usr/bin/env bash
# Idempotent developer/CI setup: system packages (apt) + .venv with the portal installed.
# Usage: scripts/setup.sh [--no-system]     (or PORTAL_SKIP_APT=1 to skip apt)
set -euo pipefail

cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*"; }

skip_apt="${PORTAL_SKIP_APT:-0}"
for arg in "$@"; do
  case "$arg" in
    --no-system) skip_apt=1 ;;
    *) echo "usage: $0 [--no-system]" >&2; exit 2 ;;
  esac
done

# chromium: browser tests (/usr/bin/chromium); postgresql: throwaway test servers;
# fonts-ipaexfont-gothic: CJK font for PDFs; fonts-noto-cjk, fonts-symbola, fonts-noto-color-emoji: the slips'
# fallback fonts (characters beyond the BMP, symbols, emoji); poppler-utils: pdftotext/pdftoppm; zbar-tools: zbarimg;
# libpango…shared-mime-info: WeasyPrint runtime libraries on Debian; python3-venv, make: this tooling.
PACKAGES=(
  chromium postgresql fonts-ipaexfont-gothic fonts-noto-cjk fonts-symbola fonts-noto-color-emoji
  poppler-utils zbar-tools
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
  libfontconfig1 libffi8 shared-mime-info python3-venv make
)

if [ "$skip_apt" = 1 ]; then
  log "skipping system packages (--no-system / PORTAL_SKIP_APT=1)"
else
  missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "system packages: all ${#PACKAGES[@]} present"
  else
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    log "system packages missing: ${missing[*]}"
    log "running apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    log "running apt-get install ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

if [ -x .venv/bin/python ]; then
  log "virtualenv: .venv exists"
else
  log "virtualenv: creating .venv (python3 -m venv)"
  python3 -m venv .venv
fi

# Reinstall only when pyproject.toml changed since the last successful install
# (the stamp lives inside .venv, so a fresh venv always gets a full install).
[ -f pyproject.toml ] || { echo "[setup] error: pyproject.toml not found in $(pwd)" >&2; exit 1; }
stamp=.venv/.portal-setup-stamp
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "python deps: up to date (pyproject.toml unchanged since last install)"
else
  log "python deps: pip install -e '.[dev]'"
  .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[dev]'
  echo "$want" > "$stamp"
fi

# axe-core (the accessibility engine the browser tests run on every page type), from the npm
# registry into .node/ (git-ignored). Node.js and npm: the machine's, else Debian's npm package.
AXE_VERSION="4.10.3"
if [ -f .node/node_modules/axe-core/axe.min.js ] && grep -q "\"version\": \"$AXE_VERSION\"" .node/node_modules/axe-core/package.json; then
  log "axe-core: $AXE_VERSION present"
else
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$skip_apt" = 1 ]; then
      echo "[setup] error: npm is missing (needed for axe-core); install Node.js and npm" >&2; exit 1
    fi
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    log "npm missing: apt-get install npm"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
  fi
  log "axe-core: npm install axe-core@$AXE_VERSION into .node/"
  mkdir -p .node
  npm install --prefix .node --no-audit --no-fund --no-save --loglevel=error "axe-core@$AXE_VERSION"
fi

# Note: never run 'playwright install'; tests drive the system /usr/bin/chromium.
log "done"
