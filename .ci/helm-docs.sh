#!/usr/bin/env bash
# helm/partwarden/README.md from README.md.gotmpl and the `# --` comments of values.yaml, with
# helm-docs (norwoodj/helm-docs), built with `go install` and cached under ~/.cache/partwarden-tools.
# `npm run helm:readme` writes the README; `bash .ci/helm-docs.sh --dry-run` prints it (the unit
# test compares the two).
set -euo pipefail
cd "$(dirname "$0")/../helm/partwarden"
HELM_DOCS_VERSION=v1.14.2
tools="${XDG_CACHE_HOME:-$HOME/.cache}/partwarden-tools"
bin="$tools/bin/helm-docs-$HELM_DOCS_VERSION"
if [ ! -x "$bin" ]; then
  echo "=== building helm-docs $HELM_DOCS_VERSION (go install)" >&2
  mkdir -p "$tools/bin"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION" >&2
  mv "$tools/bin/helm-docs" "$bin"
fi
exec "$bin" --chart-search-root . --sort-values-order file --skip-version-footer --log-level warning "$@"
