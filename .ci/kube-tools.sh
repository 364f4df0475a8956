#!/usr/bin/env bash
# Builds (once, cached under ~/.cache/partwarden-tools/bin) what .ci/kube-checks.sh runs: a real
# Kubernetes control plane from the Go module k8s.io/kubernetes (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl), kwok (simulated nodes: pods of Deployments,
# CronJobs and StatefulSets get scheduled and reported Running) and etcd from Debian's package.
# `go install k8s.io/kubernetes/cmd/...@v` refuses the module's replace directives (its staging
# modules), so the module is copied out of the module cache and each staging module replaced by its
# published version. Cold: ~15 min on 2 cores; cached: nothing.
set -euo pipefail
KUBERNETES_VERSION=1.34.4
STAGING_VERSION=v0.34.4
KWOK_VERSION=v0.8.0
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
bin="$tools/bin"
mkdir -p "$bin"

if ! command -v etcd >/dev/null 2>&1; then
  echo "=== installing etcd-server (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq etcd-server >/dev/null || { apt-get update -qq && apt-get install -y -qq etcd-server >/dev/null; }
  else sudo apt-get install -y -qq etcd-server >/dev/null; fi
  # the package starts a system etcd on 2379: not ours, stop it
  (systemctl stop etcd 2>/dev/null || service etcd stop 2>/dev/null || pkill -x etcd 2>/dev/null) || true
fi

missing=""
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$bin/$c-v$KUBERNETES_VERSION" ] || missing="$missing $c"
done
if [ -n "$missing" ]; then
  echo "=== building$missing v$KUBERNETES_VERSION from k8s.io/kubernetes (go build, ~10-15 min cold)"
  src=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  build=$(mktemp -d)
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  (
    cd "$build"
    rm -f go.work go.work.sum
    export GOWORK=off GOFLAGS=-mod=mod
    for m in $(grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging' go.mod | awk '{print $1}'); do
      go mod edit -replace="$m=$m@$STAGING_VERSION"
    done
    minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
    ld="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1"
    ld="$ld -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION"
    for c in $missing; do
      echo "--- $c ($(date +%T))"
      go build -trimpath -ldflags "$ld" -o "$bin/$c-v$KUBERNETES_VERSION" "./cmd/$c"
    done
  )
  rm -rf "$build"
fi
if [ ! -x "$bin/kwok-$KWOK_VERSION" ]; then
  echo "=== building kwok $KWOK_VERSION (go install)"
  GOBIN="$tools/kwok-build" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$tools/kwok-build/kwok" "$bin/kwok-$KWOK_VERSION" && rm -rf "$tools/kwok-build"
fi
