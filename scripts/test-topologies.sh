#!/usr/bin/env bash
# `npm run test:topologies`: two gateway processes on a real Redis Cluster (3 primaries, a replica
# each) and on a Sentinel deployment (primary, replica, 3 sentinels) started from the Debian
# redis-server on loopback ports, including a kill -9 failover. .ci/run calls it after npm test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-opa.sh
command -v redis-cli >/dev/null || { echo "test:topologies needs redis-cli (Debian: apt-get install redis-server)"; exit 1; }
mapfile -t files < <(find test/topologies -name '*.test.ts' | sort)
# One file at a time: each starts its own Redis processes and two gateways on 2 cores.
node --import tsx --test --test-concurrency=1 "${files[@]}"
