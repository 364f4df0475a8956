#!/usr/bin/env bash
# The chart on a real Kubernetes control plane, on loopback only: etcd (Debian) + kube-apiserver,
# kube-controller-manager and kube-scheduler v1.34 (built from k8s.io/kubernetes by
# .ci/kube-tools.sh, cached) + kwok, which plays the kubelet of one node: pods of Deployments,
# CronJobs and StatefulSets are scheduled by the real scheduler and reported Running (no container
# runs; the test pod of `helm test` is reported Succeeded). For every mode (deployment, cronjob,
# sidecar), without and with the Prometheus operator's CRDs: helm install --wait, the objects
# checked with kubectl, helm upgrade with changed policies, helm test, helm uninstall leaving
# nothing behind. In deployment mode with leaderElection.mode=lease, the Lease suite
# (test/kube/) runs two real daemons against the API server with the chart's ServiceAccount.
# Skip with PW_SKIP_KUBE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
# the daemons run on a supported Node.js (22+; .ci/run already put 22 first on PATH)
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  node22=$(npx -y -p node@22 -- node -e 'process.stdout.write(process.execPath)')
  export PATH="$(dirname "$node22"):$PATH"
fi
bash .ci/kube-tools.sh
KUBERNETES_VERSION=1.34.4
KWOK_VERSION=v0.8.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
HELM_VERSION=v3.21.4
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
bin="$tools/bin"
helm="$bin/helm-$HELM_VERSION"
[ -x "$helm" ] || { mkdir -p "$bin"; GOBIN="$tools/helm-build" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; mv "$tools/helm-build/helm" "$helm"; rm -rf "$tools/helm-build"; }
kubectl() { "$bin/kubectl-v$KUBERNETES_VERSION" "$@"; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

run=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${PW_KUBE_KEEP:-}" = 1 ]; then echo "kept $run"; else rm -rf "$run" 2>/dev/null || { sleep 2; rm -rf "$run"; } || true; fi
}
trap cleanup EXIT
fail() { echo "KUBE CHECK FAILED: $*"; for l in "$run"/logs/*.log; do echo "--- tail $l"; tail -20 "$l"; done; exit 1; }

echo "=== control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler v$KUBERNETES_VERSION, kwok $KWOK_VERSION"
mkdir -p "$run/pki" "$run/logs" "$run/etcd"
pki=$run/pki
(
  cd "$pki"
  openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=partwarden-ci-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf "subjectAltName=IP:127.0.0.1,DNS:localhost\n" > san.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile san.ext 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 2>/dev/null
)
etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kcm_port=$(free_port); sched_port=$(free_port); kwok_port=$(free_port)
export KUBECONFIG=$run/kubeconfig
cat > "$KUBECONFIG" <<K
apiVersion: v1
kind: Config
clusters: [{name: ci, cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: $pki/ca.crt}}]
users: [{name: admin, user: {client-certificate: $pki/admin.crt, client-key: $pki/admin.key}}]
contexts: [{name: ci, context: {cluster: ci, user: admin}}]
current-context: ci
K
etcd --name ci --data-dir "$run/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "ci=http://127.0.0.1:$etcd_peer" \
  > "$run/logs/etcd.log" 2>&1 & pids+=($!)
# WatchList off: kwok's client-go (v0.36) asks for watch lists, which need a newer etcd than Debian's
# 3.4 (RequestWatchProgress); refused, its watches kept ending and pod deletions were seen a minute late
"$bin/kube-apiserver-v$KUBERNETES_VERSION" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --cert-dir="$pki" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=Node,RBAC --allow-privileged=true --feature-gates=WatchList=false > "$run/logs/kube-apiserver.log" 2>&1 & pids+=($!)
for _ in $(seq 1 240); do kubectl get --raw /readyz >/dev/null 2>&1 && break; sleep 0.5; done
kubectl get --raw /readyz >/dev/null || fail "kube-apiserver not ready"
"$bin/kube-controller-manager-v$KUBERNETES_VERSION" --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" --leader-elect=false --bind-address=127.0.0.1 --secure-port="$kcm_port" \
  --use-service-account-credentials=false --controllers='*,-nodeipam' > "$run/logs/kcm.log" 2>&1 & pids+=($!)
"$bin/kube-scheduler-v$KUBERNETES_VERSION" --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port="$sched_port" > "$run/logs/scheduler.log" 2>&1 & pids+=($!)
# kwok: the fast pod stages of its release, plus one that completes `helm test` pods (kwok's own
# only completes pods owned by a Job); its node stages (initialize, heartbeat)
kwok_src=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
stages=$run/kwok-stages.yaml
for f in pod-ready pod-complete pod-delete; do cat "$kwok_src/kustomize/stage/pod/fast/$f.yaml"; echo "---"; done > "$stages"
sed -e 's/name: pod-complete/name: pod-helm-test-complete/' -e "s/- key: '.metadata.ownerReferences.\[\].kind'/- key: '.metadata.annotations[\"helm.sh\/hook\"]'/" -e "s/      - 'Job'/      - 'test'/" \
  "$kwok_src/kustomize/stage/pod/fast/pod-complete.yaml" >> "$stages"
for f in fast/node-initialize heartbeat/node-heartbeat; do echo "---"; cat "$kwok_src/kustomize/stage/node/$f.yaml"; done >> "$stages"
"$bin/kwok-$KWOK_VERSION" --kubeconfig="$KUBECONFIG" --config="$stages" --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.1/24 --node-ip=127.0.0.1 --server-address="127.0.0.1:$kwok_port" > "$run/logs/kwok.log" 2>&1 & pids+=($!)
kubectl apply -f - >/dev/null <<'N'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
N
kubectl wait --for=condition=Ready node/kwok-node-0 --timeout=120s >/dev/null || fail "the kwok node is not Ready"
for _ in $(seq 1 120); do kubectl -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done
echo "control plane up: $(kubectl version 2>/dev/null | grep Server), node $(kubectl get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"

chart=helm/partwarden
crds="$(GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')/example/prometheus-operator-crd"
# a policy change for `helm upgrade`: a second inline policy file (existingConfigMap in cronjob mode: that ConfigMap is changed instead)
extra_policy='apiVersion: partwarden/v1
kind: PartitionPolicy
metadata:
  name: audit
spec:
  database: main
  table: public.audit
  strategy: range
  range:
    column: at
    interval: 1 month
    premake: 2'
events_policy=${extra_policy//audit/events}

# release objects of every kind the chart can create, by the release's label
kinds=deployment,cronjob,job,statefulset,pod,service,configmap,serviceaccount,role,rolebinding,networkpolicy,poddisruptionbudget,lease
left_behind() { # ns -> what the release left (empty when nothing)
  local k=$kinds
  kubectl get crd servicemonitors.monitoring.coreos.com >/dev/null 2>&1 && k="$k,servicemonitor,podmonitor,prometheusrule"
  kubectl -n "$1" get "$k" -l app.kubernetes.io/instance=pw -o name 2>/dev/null
}

check_mode() { # mode crds(with|without)
  local mode=$1 with=$2 ns="pw-$1-$2" values="$chart/ci/$1-values.yaml"
  echo "=== $mode mode, $with the Prometheus operator's CRDs (namespace $ns)"
  kubectl create namespace "$ns" >/dev/null
  for _ in $(seq 1 60); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done
  # the Secrets the values name (never values themselves)
  kubectl -n "$ns" create secret generic partwarden-database --from-literal=url=postgres://partwarden@127.0.0.1:5432/app >/dev/null
  kubectl -n "$ns" create secret generic app-db --from-literal=DATABASE_URL=postgres://partwarden@127.0.0.1:5432/app >/dev/null
  kubectl -n "$ns" create secret generic reporting-db --from-literal=url=postgres://partwarden@127.0.0.1:5432/reporting >/dev/null
  kubectl -n "$ns" create secret generic partwarden-localhost --from-literal=url=postgres://partwarden@127.0.0.1:5432/app >/dev/null
  kubectl -n "$ns" create secret generic partwarden-s3 --from-literal=AWS_ACCESS_KEY_ID=ci --from-literal=AWS_SECRET_ACCESS_KEY=ci >/dev/null
  kubectl -n "$ns" create secret generic postgres-example --from-literal=POSTGRES_PASSWORD=ci >/dev/null
  # the example StatefulSet claims a volume: a PersistentVolume for it to bind (no provisioner here; kwok runs nothing on it)
  [ "$mode" = sidecar ] && kubectl apply -f - >/dev/null <<V
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-$ns}
spec: {capacity: {storage: 10Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Delete, hostPath: {path: /tmp/pw-kube-unused-$ns}}
V
  [ "$mode" = cronjob ] && kubectl -n "$ns" create configmap my-partwarden-policies --save-config --from-literal=events.yaml="$events_policy" >/dev/null
  local args=(-n "$ns" -f "$values")
  if [ "$with" = without ]; then
    if grep -qE '^(serviceMonitor|podMonitor|prometheusRule):' "$values"; then
      # the CI values enable monitoring objects: refused, naming the value, and nothing installed
      if "$helm" install pw "$chart" "${args[@]}" --wait --timeout 2m >"$run/out" 2>&1; then fail "$mode: installed monitoring objects without their CRDs"; fi
      grep -q "but this cluster has no" "$run/out" || { cat "$run/out"; fail "$mode: no clear message without the CRDs"; }
      echo "without the CRDs: $(grep -o '[a-zA-Z]*\.enabled=true, but this cluster has no [A-Za-z]*' "$run/out" | head -1)"
      [ -z "$("$helm" list -n "$ns" -q)" ] || fail "$mode: a failed install left a release"
      [ -z "$(left_behind "$ns")" ] || fail "$mode: a failed install left objects: $(left_behind "$ns")"
    fi
    args+=(--set serviceMonitor.enabled=false --set podMonitor.enabled=false --set prometheusRule.enabled=false)
  fi
  "$helm" install pw "$chart" "${args[@]}" --wait --timeout 3m >"$run/out" 2>&1 || { cat "$run/out"; fail "$mode: helm install --wait"; }
  echo "helm install --wait: $(grep -m1 STATUS "$run/out")"
  if [ "$mode" = deployment ]; then
    grep -q "Leader election: the Lease $ns/pw-partwarden decides" "$run/out" && grep -q 'Grafana: the dashboard "partwarden"' "$run/out" || { cat "$run/out"; fail "deployment: NOTES do not say how the leader is elected / where the dashboard is"; }
  fi
  check_objects "$mode" "$with" "$ns"
  # policies change: the ConfigMap changes, the pods are not restarted (partwarden reloads the mounted files)
  local before_gen=""; [ "$mode" = deployment ] && before_gen=$(kubectl -n "$ns" get deploy pw-partwarden -o jsonpath='{.metadata.generation}')
  if [ "$mode" = cronjob ]; then
    kubectl -n "$ns" create configmap my-partwarden-policies --from-literal=audit.yaml="$extra_policy" --dry-run=client -o yaml | kubectl -n "$ns" apply -f - >/dev/null
    "$helm" upgrade pw "$chart" "${args[@]}" --set cronjob.schedule='15 * * * *' --wait --timeout 3m >"$run/out" 2>&1 || { cat "$run/out"; fail "$mode: helm upgrade"; }
    [ "$(kubectl -n "$ns" get cronjob pw-partwarden -o jsonpath='{.spec.schedule}')" = '15 * * * *' ] || fail "cronjob: the upgrade did not change the schedule"
  else
    "$helm" upgrade pw "$chart" "${args[@]}" --set-string "policies.inline.audit\.yaml=$extra_policy" --wait --timeout 3m >"$run/out" 2>&1 || { cat "$run/out"; fail "$mode: helm upgrade"; }
    kubectl -n "$ns" get configmap pw-partwarden-policies -o jsonpath='{.data.audit\.yaml}' | grep -q 'table: public.audit' || fail "$mode: the upgrade did not change the policies ConfigMap"
  fi
  if [ "$mode" = deployment ]; then
    [ "$(kubectl -n "$ns" get deploy pw-partwarden -o jsonpath='{.metadata.generation}')" = "$before_gen" ] || fail "deployment: a policy change restarted the pods (it must be hot-reloaded)"
    echo "helm upgrade (new policy file): ConfigMap changed, Deployment not rolled (generation $before_gen)"
    "$helm" test pw -n "$ns" --timeout 2m >"$run/out" 2>&1 || { cat "$run/out"; fail "deployment: helm test"; }
    echo "helm test: $(grep -m1 -o 'Phase:.*' "$run/out")"
  else
    echo "helm upgrade: $(grep -m1 STATUS "$run/out")"
  fi
  "$helm" uninstall pw -n "$ns" --wait --timeout 2m >/dev/null || fail "$mode: helm uninstall"
  for _ in $(seq 1 60); do [ -z "$(left_behind "$ns")" ] && break; sleep 1; done
  [ -z "$(left_behind "$ns")" ] || fail "$mode: helm uninstall left $(left_behind "$ns" | tr '\n' ' ')"
  if [ "$mode" = sidecar ]; then
    # the Postgres data of the example StatefulSet outlives the release (Kubernetes keeps volume claims of a deleted StatefulSet)
    kubectl -n "$ns" get pvc data-pw-partwarden-postgres-0 >/dev/null || fail "sidecar: the example's data volume claim went with the release"
    echo "helm uninstall: nothing left but the example's data volume claim (kept on purpose)"
  else
    echo "helm uninstall: nothing left"
  fi
  kubectl delete namespace "$ns" --wait=false >/dev/null
}

check_objects() { # mode with ns
  local mode=$1 with=$2 ns=$3
  case $mode in
    deployment)
      [ "$(kubectl -n "$ns" get deploy pw-partwarden -o jsonpath='{.status.availableReplicas}')" = 2 ] || fail "deployment: not 2 available replicas"
      [ "$(kubectl -n "$ns" get pods -l app.kubernetes.io/instance=pw --field-selector=status.phase=Running -o name | wc -l)" -ge 2 ] || fail "deployment: pods not Running"
      kubectl -n "$ns" get deploy pw-partwarden -o jsonpath='{.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].livenessProbe.httpGet.path}' | grep -q '/readyz /healthz' || fail "deployment: probes"
      kubectl -n "$ns" get pdb pw-partwarden >/dev/null || fail "deployment: no PodDisruptionBudget"
      kubectl -n "$ns" get networkpolicy pw-partwarden >/dev/null || fail "deployment: no NetworkPolicy"
      kubectl -n "$ns" get service pw-partwarden -o jsonpath='{.spec.ports[0].port}' | grep -q 9465 || fail "deployment: Service port"
      # Lease mode: the Lease exists, the ServiceAccount may get and update it and nothing more
      kubectl -n "$ns" get lease pw-partwarden >/dev/null || fail "deployment: no Lease"
      local sa=system:serviceaccount:$ns:pw-partwarden
      [ "$(kubectl -n "$ns" auth can-i update leases/pw-partwarden --as "$sa")" = yes ] || fail "deployment: the ServiceAccount cannot update its Lease"
      [ "$(kubectl -n "$ns" auth can-i update leases/other --as "$sa" || true)" = no ] || fail "deployment: the ServiceAccount may update other Leases"
      [ "$(kubectl -n "$ns" auth can-i list secrets --as "$sa" || true)" = no ] || fail "deployment: the ServiceAccount may list Secrets"
      kubectl -n "$ns" get configmap pw-partwarden-dashboard -o jsonpath='{.metadata.labels.grafana_dashboard}' | grep -q 1 || fail "deployment: no Grafana dashboard ConfigMap"
      echo "objects: Deployment 2/2 available, probes, PDB, NetworkPolicy, Service, Lease + RBAC (update own Lease: yes, others: no, Secrets: no), dashboard ConfigMap"
      check_config "$ns"
      [ "$with" = without ] && run_lease_suite "$ns"
      ;;
    cronjob)
      [ "$(kubectl -n "$ns" get cronjob pw-partwarden -o jsonpath='{.spec.schedule} {.spec.concurrencyPolicy}')" = '5 * * * * Forbid' ] || fail "cronjob: schedule/concurrencyPolicy"
      kubectl -n "$ns" get networkpolicy pw-partwarden >/dev/null || fail "cronjob: no NetworkPolicy"
      # a run now, as NOTES.txt says: the Job is created and (kwok) completes
      kubectl -n "$ns" create job --from=cronjob/pw-partwarden pw-partwarden-manual >/dev/null
      kubectl -n "$ns" wait --for=condition=Complete job/pw-partwarden-manual --timeout=120s >/dev/null || fail "cronjob: the manual Job did not complete"
      kubectl -n "$ns" delete job pw-partwarden-manual --wait >/dev/null
      echo "objects: CronJob '5 * * * *' Forbid, NetworkPolicy, a Job from it completed"
      ;;
    sidecar)
      kubectl -n "$ns" rollout status statefulset/pw-partwarden-postgres --timeout=120s >/dev/null || fail "sidecar: the example StatefulSet is not ready"
      kubectl -n "$ns" get statefulset pw-partwarden-postgres -o jsonpath='{.spec.template.spec.containers[*].name}' | grep -q partwarden || fail "sidecar: no partwarden container"
      echo "objects: example StatefulSet ready with the partwarden sidecar"
      ;;
  esac
  if [ "$with" = with ]; then
    local want; case $mode in deployment) want="servicemonitor prometheusrule";; sidecar) want="podmonitor prometheusrule";; *) want="";; esac
    for k in $want; do kubectl -n "$ns" get "$k" pw-partwarden >/dev/null || fail "$mode: no $k"; done
    if [ -n "$want" ]; then
      # the PrometheusRule as installed passes promtool; with the chart's default alert set (sidecar
      # values) also its unit tests (helm/partwarden/promtool/alerts.test.yaml, as in helm-checks)
      mkdir -p "$run/rules-$ns"
      kubectl -n "$ns" get prometheusrule pw-partwarden -o json | node -e '
        let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const spec=JSON.parse(s).spec;require("fs").writeFileSync(process.argv[1],JSON.stringify(spec));console.log(`PrometheusRule: ${spec.groups[0].rules.length} alerts`)})' "$run/rules-$ns/rules.yaml"
      bash .ci/promtool.sh check rules "$run/rules-$ns/rules.yaml" >/dev/null || fail "$mode: promtool refuses the installed PrometheusRule"
      if [ "$mode" = sidecar ]; then
        cp "$chart/promtool/alerts.test.yaml" "$run/rules-$ns/"
        bash .ci/promtool.sh test rules "$run/rules-$ns/alerts.test.yaml" >/dev/null || fail "sidecar: promtool test rules fails on the installed PrometheusRule"
        echo "installed PrometheusRule: promtool check rules + test rules pass"
      else
        echo "installed PrometheusRule: promtool check rules passes"
      fi
      echo "monitoring objects: $want"
    fi
  fi
}

# The ConfigMap the chart installed is a configuration `partwarden validate` accepts.
check_config() { # ns
  local dir=$run/config-$1
  mkdir -p "$dir/policies"
  kubectl -n "$1" get configmap pw-partwarden-config -o jsonpath='{.data.partwarden\.yaml}' | sed "s#/etc/partwarden/policies#$dir/policies#" > "$dir/partwarden.yaml"
  kubectl -n "$1" get configmap pw-partwarden-policies -o json | node -e '
    let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{for(const [f,t] of Object.entries(JSON.parse(s).data??{}))require("fs").writeFileSync(require("path").join(process.argv[1],f),t)})' "$dir/policies"
  PARTWARDEN_DB_MAIN_URL=postgres://u@127.0.0.1/db node dist/src/cli/main.js validate --config "$dir/partwarden.yaml" >"$run/out" 2>&1 || { cat "$run/out"; fail "the installed ConfigMap is not a valid configuration"; }
  grep -q 'mode: lease' "$dir/partwarden.yaml" || fail "the deployment values (leaderElection.mode=lease) did not reach partwarden.yaml"
  echo "installed partwarden.yaml: partwarden validate accepts it (leaderElection: lease)"
}

# Two real daemons elect a leader through the chart's Lease, with the chart's ServiceAccount token.
run_lease_suite() { # ns
  local ns=$1 token
  token=$(kubectl -n "$ns" create token pw-partwarden --duration=1h)
  cat > "$run/sa-kubeconfig" <<K
apiVersion: v1
kind: Config
clusters: [{name: ci, cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: $pki/ca.crt}}]
users: [{name: pw-partwarden, user: {token: "$token"}}]
contexts: [{name: ci, context: {cluster: ci, user: pw-partwarden, namespace: $ns}}]
current-context: ci
K
  echo "--- Lease suite (test/kube): two daemons, kubeconfig of ServiceAccount $ns/pw-partwarden"
  PW_KUBE=1 PW_KUBECONFIG="$run/sa-kubeconfig" PW_KUBE_LEASE="$ns/pw-partwarden" PW_KUBE_ADMIN_KUBECONFIG="$KUBECONFIG" \
    npx vitest run --project kube --reporter=default --reporter=json --outputFile.json="${PW_KUBE_REPORT:-$run/kube-report.json}" || fail "the Lease suite failed"
}

if [ -n "${PW_KUBE_MODES:-}" ]; then modes=$PW_KUBE_MODES; else modes="deployment cronjob sidecar"; fi
for with in without with; do
  if [ "$with" = with ]; then
    echo "=== installing the Prometheus operator's CRDs ($PROMETHEUS_OPERATOR_VERSION)"
    kubectl apply --server-side -f "$crds" >/dev/null
    kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
  fi
  for mode in $modes; do check_mode "$mode" "$with"; done
done
echo "kube checks passed"
