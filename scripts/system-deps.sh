#!/usr/bin/env bash
# Debian packages pakn needs beside Python: Chromium for the browser tests, DejaVu fonts and Pango for
# the PDF letters (WeasyPrint), Graphviz for the lifecycle picture, PostgreSQL for the second test run.
# Installs only what is missing; needs root (or sudo) and apt-get, else says what to install.
set -euo pipefail
want=()
[ -x /usr/bin/chromium ] || want+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || want+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v dot >/dev/null || want+=(graphviz)
if [ "${1:-}" = "--postgres" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
fi
[ ${#want[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
  echo "installing Debian packages: ${want[*]}"
  $sudo apt-get install -y -q "${want[@]}" >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${want[@]}" >/dev/null; }
else
  echo "please install these Debian packages: ${want[*]}" >&2
fi
