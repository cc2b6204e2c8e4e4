#!/usr/bin/env bash
# Makes the pinned OPA CLI available at .tools/bin/opa, built from source with `go install`.
# Idempotent: returns at once when the pinned version is already there, or when OPA_BIN names a binary.
# Never downloads a prebuilt binary.
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-v1.22.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"

if [[ -n "${OPA_BIN:-}" ]]; then
  if [[ -x "$OPA_BIN" ]]; then echo "opa: using OPA_BIN=$OPA_BIN"; exit 0; fi
  echo "opa: OPA_BIN=$OPA_BIN is not an executable file" >&2; exit 1
fi

# The version is read into a variable, not piped into `grep -q` or `head`: under pipefail a reader
# that stops early kills opa with SIGPIPE, and the check (or the whole script) fails at random.
installed_version() { "$BIN_DIR/opa" version 2>/dev/null | sed -n 's/^Version: //p' || true; }
if [[ -x "$BIN_DIR/opa" ]] && [[ "$(installed_version)" == "${OPA_VERSION#v}" ]]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [[ -x "$candidate" ]] && export PATH="$(dirname "$candidate"):$PATH" && break
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "opa: Go is needed to build OPA $OPA_VERSION (or set OPA_BIN to an OPA binary)" >&2
  exit 1
fi

echo "opa: building github.com/open-policy-agent/opa@$OPA_VERSION with go install (first run takes a few minutes)"
mkdir -p "$BIN_DIR"
GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "github.com/open-policy-agent/opa@$OPA_VERSION"
echo "opa: built $(installed_version)"
