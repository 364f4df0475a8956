#!/usr/bin/env bash
# The chart and its alerts, without a cluster: helm lint (strict, every values file), helm template
# of every mode, the rendered manifests validated offline against the Kubernetes schemas
# (kubernetes-validate from PyPI bundles them), and the alert rules checked and unit-tested with
# promtool. helm is built with `go install`, promtool with `go build` from the module proxy; all
# tools are cached between runs
# under ~/.cache/partwarden-tools.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.21.4
PROMETHEUS_VERSION=v0.313.5          # the Go module version of Prometheus 3.x's promtool
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSION=1.33.0            # schemas the manifests are checked against
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
mkdir -p "$tools/bin"

if [ ! -x "$tools/bin/helm-$HELM_VERSION" ]; then
  echo "=== building helm $HELM_VERSION (go install)"
  GOBIN="$tools/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$tools/bin/helm" "$tools/bin/helm-$HELM_VERSION"
fi
if [ ! -x "$tools/bin/promtool-$PROMETHEUS_VERSION" ]; then
  # Prometheus' go.mod has replace/exclude directives, which `go install pkg@version` refuses:
  # build promtool inside a copy of the module (from the Go module proxy), as the main module
  echo "=== building promtool $PROMETHEUS_VERSION (go build from the module proxy)"
  src=$(go mod download -json "github.com/prometheus/prometheus@$PROMETHEUS_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  build=$(mktemp -d)
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  (cd "$build" && GOWORK=off go build -o "$tools/bin/promtool-$PROMETHEUS_VERSION" ./cmd/promtool)
  rm -rf "$build"
fi
venv="$tools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "=== installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
helm="$tools/bin/helm-$HELM_VERSION"
promtool="$tools/bin/promtool-$PROMETHEUS_VERSION"
kv="$venv/bin/kubernetes-validate"
chart=helm/partwarden
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "=== helm lint"
"$helm" lint --strict "$chart"
for v in "$chart"/ci/*-values.yaml; do "$helm" lint --strict "$chart" -f "$v"; done

echo "=== values.schema.json: helm refuses a mistyped --set"
for bad in replicaCont=3 mode=deploymnet serviceMonitor.enabeld=true; do
  if "$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" --set "$bad" >/dev/null 2>"$out/err"; then echo "helm accepted --set $bad"; exit 1; fi
  grep -q "values don't meet the specifications of the schema" "$out/err" || { echo "--set $bad failed for another reason:"; cat "$out/err"; exit 1; }
  echo "--set $bad: $(grep -m1 -o "additional properties.*\|value must be one of.*" "$out/err")"
done

echo "=== helm template + Kubernetes $KUBERNETES_VERSION schemas"
"$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" > "$out/default.yaml"
for v in "$chart"/ci/*-values.yaml; do "$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" -f "$v" > "$out/$(basename "$v" -values.yaml).yaml"; done
for f in "$out"/*.yaml; do
  echo "--- $(basename "$f"): $(grep -c '^kind:' "$f") objects"
  # the Prometheus Operator kinds are CRDs (no bundled schema: reported and skipped); promtool checks the rules below
  "$kv" --strict --kubernetes-version "$KUBERNETES_VERSION" "$f"
done

echo "=== every mode renders what it should"
node -e '
const fs = require("fs"); const { parseAllDocuments } = require("yaml");
const kinds = (f) => parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean).map((o) => o.kind).sort().join(",");
const expect = (f, k) => { const got = kinds(f); if (got !== k) { console.error(`${f}: ${got}, expected ${k}`); process.exit(1); } console.log(`${require("path").basename(f)}: ${got}`); };
const d = process.argv[1];
expect(d + "/default.yaml", "ConfigMap,ConfigMap,Deployment,Pod,PodDisruptionBudget,Service,ServiceAccount");
expect(d + "/deployment.yaml", "ConfigMap,ConfigMap,Deployment,NetworkPolicy,Pod,PodDisruptionBudget,PrometheusRule,Service,ServiceAccount,ServiceMonitor");
expect(d + "/cronjob.yaml", "ConfigMap,CronJob,NetworkPolicy,ServiceAccount");
expect(d + "/sidecar.yaml", "ConfigMap,ConfigMap,PodMonitor,PrometheusRule,ServiceAccount,StatefulSet");
' "$out"

echo "=== promtool check rules + test rules"
"$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml > "$out/prometheusrule.yaml"
mkdir -p "$out/promtool"
node -e '
const fs = require("fs"); const { parse, stringify } = require("yaml");
fs.writeFileSync(process.argv[2], stringify(parse(fs.readFileSync(process.argv[1], "utf8")).spec));
' "$out/prometheusrule.yaml" "$out/promtool/rules.yaml"
cp "$chart/promtool/alerts.test.yaml" "$out/promtool/"
"$promtool" check rules "$out/promtool/rules.yaml"
"$promtool" test rules "$out/promtool/alerts.test.yaml"
echo "chart checks passed"
