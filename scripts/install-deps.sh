#!/usr/bin/env bash
# Installs the Debian packages omni needs to build and test, when they are missing.
# Usage: scripts/install-deps.sh [extra packages...]
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config
  libsqlite3-dev libfmt-dev libcereal-dev rapidjson-dev libhowardhinnant-date-dev tzdata
  libicu-dev libphonenumber-dev libgmime-3.0-dev
  catch2 libbenchmark-dev
  # ctest omni_report_renders: the HTML report rendered by headless Chromium, checked with PIL
  chromium python3-pil
  # PostgresStore (issue 7): libpq to build it; the PostgreSQL 15 server (Debian 12's `postgresql`,
  # binaries in /usr/lib/postgresql/15/bin) that the tests start themselves (docs/postgres.md)
  libpq-dev postgresql
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: not root and no sudo; please install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
