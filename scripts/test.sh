#!/usr/bin/env bash
# The project's one test command (`npm test`): type check, OPA check and test of policies/,
# then every test file on Node's own test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-opa.sh
OPA="${OPA_BIN:-$PWD/.tools/bin/opa}"

echo "== type check"
npx tsc --noEmit -p tsconfig.json

echo "== opa check and opa test (policies/)"
"$OPA" check --v1-compatible policies
"$OPA" test --v1-compatible --timeout=60s policies -v | tail -n 3

echo "== tests"
# test/topologies/ starts Redis Clusters and Sentinels: `npm run test:topologies` (scripts/test-topologies.sh).
mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/topologies/*' | sort)
node --import tsx --test --test-concurrency=2 "${files[@]}"
