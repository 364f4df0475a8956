#!/usr/bin/env bash
# promtool (Prometheus 3.x) built once and cached under ~/.cache/partwarden-tools, then run with
# the arguments given: `bash .ci/promtool.sh check rules f.yaml`. `--path` prints the binary's path.
# Prometheus' go.mod has replace/exclude directives, which `go install pkg@version` refuses: it is
# built inside a copy of the module (from the Go module proxy), as the main module.
set -euo pipefail
PROMETHEUS_VERSION=v0.313.5          # the Go module version of Prometheus 3.x's promtool
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
bin="$tools/bin/promtool-$PROMETHEUS_VERSION"
if [ ! -x "$bin" ]; then
  echo "=== building promtool $PROMETHEUS_VERSION (go build from the module proxy)" >&2
  mkdir -p "$tools/bin"
  src=$(go mod download -json "github.com/prometheus/prometheus@$PROMETHEUS_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  build=$(mktemp -d)
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  (cd "$build" && GOWORK=off go build -o "$bin.tmp" ./cmd/promtool) >&2
  mv "$bin.tmp" "$bin"
  rm -rf "$build"
fi
if [ "${1:-}" = "--path" ]; then echo "$bin"; exit 0; fi
exec "$bin" "$@"
