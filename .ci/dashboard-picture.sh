#!/usr/bin/env bash
# docs/dashboard.png: the chart's Grafana dashboard drawn from its own queries against a real
# Prometheus (built from its Go module, cached) scraping the demo (`npm start`) for a few minutes.
# Not Grafana: its Go module is refused by the module proxy here (AGPL); see src/dev/dashboard-preview.ts.
# Needs Debian's chromium (apt-get install chromium). Not part of CI (it takes minutes of real time).
#   bash .ci/dashboard-picture.sh [seconds to scrape, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
PROMETHEUS_VERSION=v0.313.5
seconds=${1:-300}
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
prom="$tools/bin/prometheus-$PROMETHEUS_VERSION"
if [ ! -x "$prom" ]; then
  echo "=== building prometheus $PROMETHEUS_VERSION (go build from the module proxy)"
  src=$(go mod download -json "github.com/prometheus/prometheus@$PROMETHEUS_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  build=$(mktemp -d)
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  (cd "$build" && GOWORK=off go build -o "$prom.tmp" ./cmd/prometheus) && mv "$prom.tmp" "$prom"
  rm -rf "$build"
fi
[ -x /usr/bin/chromium ] || { echo "needs Debian's chromium: apt-get install chromium"; exit 1; }
npm run build --silent
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 2; rm -rf "$work" || true' EXIT
node --openssl-legacy-provider dist/src/demo/main.js > "$work/demo.log" 2>&1 & pids+=($!)
for _ in $(seq 1 120); do grep -q 'curl http://127.0.0.1:[0-9]*/metrics' "$work/demo.log" && break; sleep 1; done
target=$(grep -o 'curl http://127.0.0.1:[0-9]*/metrics' "$work/demo.log" | head -1 | sed -e 's#curl http://##' -e 's#/metrics##')
echo "demo daemon on $target"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
printf 'global: {scrape_interval: 5s, evaluation_interval: 5s}\nscrape_configs:\n  - job_name: partwarden\n    static_configs: [{targets: ["%s"]}]\n' "$target" > "$work/prometheus.yml"
"$prom" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$port" > "$work/prometheus.log" 2>&1 & pids+=($!)
from=$(date +%s)
echo "scraping for $seconds s (Prometheus on 127.0.0.1:$port)"
sleep "$seconds"
node dist/src/dev/dashboard-preview.js --prometheus "http://127.0.0.1:$port" --from "$from" --to "$(date +%s)" --out docs/dashboard.png
