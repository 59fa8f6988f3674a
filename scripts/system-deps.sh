#!/usr/bin/env bash
# Debian packages pakn needs beside Python. Installs only what is missing; needs root (or sudo) and
# apt-get, else says what to install.
#   (default)    a developer's machine and CI (make run, make test): Chromium for the browser tests,
#                DejaVu fonts and Pango for the PDF letters (WeasyPrint), Graphviz for the lifecycle picture
#   --postgres   the same, and PostgreSQL for the second test run
#   --server     a production host: the fonts and Pango for the PDF letters, and postgresql-client for
#                pg_dump (flask backup on PostgreSQL); no browser, no Graphviz, no database server
#   --bench      the default's, and wrk, the load generator of bench/submit.py (make bench): without it the
#                load comes from Python threads, which take more of the CPUs the servers measured share
set -euo pipefail
mode="${1:-}"
case "$mode" in
  ""|--postgres|--server|--bench) ;;
  *) echo "usage: $0 [--postgres | --server | --bench]" >&2; exit 2 ;;
esac
want=()
if [ "$mode" != "--server" ]; then
  [ -x /usr/bin/chromium ] || want+=(chromium)
fi
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(fonts-dejavu-core)
# the letters' italic face (feedback_app/pdf.py FACES): Debian ships it apart, in fonts-dejavu-extra
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf ] || want+=(fonts-dejavu-extra)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || want+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ "$mode" = "--server" ]; then
  command -v pg_dump >/dev/null || want+=(postgresql-client)
else
  command -v dot >/dev/null || want+=(graphviz)
fi
if [ "$mode" = "--postgres" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
fi
if [ "$mode" = "--bench" ]; then
  command -v wrk >/dev/null || want+=(wrk)
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
