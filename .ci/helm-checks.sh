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
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSION=1.33.0            # schemas the manifests are checked against
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
mkdir -p "$tools/bin"

if [ ! -x "$tools/bin/helm-$HELM_VERSION" ]; then
  echo "=== building helm $HELM_VERSION (go install)"
  GOBIN="$tools/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$tools/bin/helm" "$tools/bin/helm-$HELM_VERSION"
fi
venv="$tools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "=== installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
helm="$tools/bin/helm-$HELM_VERSION"
promtool=$(bash .ci/promtool.sh --path)   # built once, cached
kv="$venv/bin/kubernetes-validate"
chart=helm/partwarden
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "=== helm lint"
"$helm" lint --strict "$chart"
# helm lint knows no cluster and takes no --api-versions: the monitoring objects, which need the
# Prometheus operator's kinds, are linted off here and rendered with --api-versions below
nomon=(--set serviceMonitor.enabled=false --set podMonitor.enabled=false --set prometheusRule.enabled=false)
for v in "$chart"/ci/*-values.yaml; do "$helm" lint --strict "$chart" -f "$v" "${nomon[@]}"; done
monitoring=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PodMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule)

echo "=== a monitoring object on a cluster without the Prometheus operator: one message naming the value"
for pair in serviceMonitor:ServiceMonitor podMonitor:PodMonitor prometheusRule:PrometheusRule; do
  value=${pair%%:*}; kind=${pair##*:}
  if "$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" --set "$value.enabled=true" >/dev/null 2>"$out/err"; then echo "$value.enabled=true rendered without the $kind kind"; exit 1; fi
  grep -q "$value.enabled=true, but this cluster has no $kind" "$out/err" && grep -q "set $value.enabled=false" "$out/err" || { echo "unexpected error for $value:"; cat "$out/err"; exit 1; }
  echo "$value.enabled=true without $kind: $(grep -m1 -o "but this cluster has no [A-Za-z]*" "$out/err")"
done

echo "=== values.schema.json: helm refuses a mistyped --set"
for bad in replicaCont=3 mode=deploymnet serviceMonitor.enabeld=true; do
  if "$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" --set "$bad" >/dev/null 2>"$out/err"; then echo "helm accepted --set $bad"; exit 1; fi
  grep -q "values don't meet the specifications of the schema" "$out/err" || { echo "--set $bad failed for another reason:"; cat "$out/err"; exit 1; }
  echo "--set $bad: $(grep -m1 -o "additional properties.*\|value must be one of.*" "$out/err")"
done

echo "=== helm template + Kubernetes $KUBERNETES_VERSION schemas"
"$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" > "$out/default.yaml"
for v in "$chart"/ci/*-values.yaml; do "$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" "${monitoring[@]}" -f "$v" > "$out/$(basename "$v" -values.yaml).yaml"; done
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
expect(d + "/deployment.yaml", "ConfigMap,ConfigMap,ConfigMap,Deployment,Lease,NetworkPolicy,Pod,PodDisruptionBudget,PrometheusRule,Role,RoleBinding,Service,ServiceAccount,ServiceMonitor");
expect(d + "/cronjob.yaml", "ConfigMap,CronJob,NetworkPolicy,ServiceAccount");
expect(d + "/sidecar.yaml", "ConfigMap,ConfigMap,PodMonitor,PrometheusRule,ServiceAccount,StatefulSet");
' "$out"

echo "=== promtool check rules + test rules"
"$helm" template pw "$chart" --kube-version "$KUBERNETES_VERSION" "${monitoring[@]}" --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml > "$out/prometheusrule.yaml"
mkdir -p "$out/promtool"
node -e '
const fs = require("fs"); const { parse, stringify } = require("yaml");
fs.writeFileSync(process.argv[2], stringify(parse(fs.readFileSync(process.argv[1], "utf8")).spec));
' "$out/prometheusrule.yaml" "$out/promtool/rules.yaml"
cp "$chart/promtool/alerts.test.yaml" "$out/promtool/"
"$promtool" check rules "$out/promtool/rules.yaml"
"$promtool" test rules "$out/promtool/alerts.test.yaml"
echo "chart checks passed"
