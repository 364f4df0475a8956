#!/usr/bin/env bash
# Citus 13.2.2 for Debian's PostgreSQL 15 (no Debian package): built once from the source release in
# ../shared/vendor (with its one-line patch for PostgreSQL 15.18+), staged under
# ~/.cache/partwarden-tools/citus-<version>-pg15, then copied into PostgreSQL 15's lib and extension
# directories (root or sudo). ~2 min cold; nothing when cached and installed.
set -euo pipefail
cd "$(dirname "$0")/.."
CITUS_VERSION=13.2.2
vendor=$(cd "${PW_SHARED:-../shared}/vendor" && pwd)   # the source release and its patch (../shared, present in CI)
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
stage="$tools/citus-$CITUS_VERSION-pg15"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pkgs="postgresql-15 postgresql-server-dev-15 libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev autoconf flex bison"
if [ ! -f /usr/lib/postgresql/15/lib/citus.so ] || [ ! -f "$stage/.done" ]; then
  if [ ! -f "$stage/.done" ]; then
    if ! dpkg -s postgresql-server-dev-15 libcurl4-openssl-dev liblz4-dev libzstd-dev >/dev/null 2>&1; then
      echo "=== installing Citus' build dependencies (Debian packages)"
      # shellcheck disable=SC2086
      as_root apt-get install -y -qq $pkgs >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq $pkgs >/dev/null; }
    fi
    echo "=== building Citus $CITUS_VERSION for PostgreSQL 15 (./configure && make, ~2 min)"
    build=$(mktemp -d)
    tar xzf "$vendor/citus-v$CITUS_VERSION.tar.gz" -C "$build"
    (cd "$build" && patch -p1 -s < "$vendor/citus-$CITUS_VERSION-pg15.18.patch" \
      && ./configure PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config --without-libcurl >/dev/null \
      && make -s -j2 with_llvm=no >/dev/null && rm -rf "$stage" && make -s install with_llvm=no DESTDIR="$stage" >/dev/null)
    rm -rf "$build"
    touch "$stage/.done"
  fi
  echo "=== installing Citus $CITUS_VERSION into PostgreSQL 15"
  as_root cp -r "$stage/usr/." /usr/
fi
