/**
 * /metrics: Countersign's own series, prom-client's default process and runtime series (once
 * each, on the gateway's own registry), and the scrape-time gauges the alerts in
 * docs/operations.md are written against.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyEngine } from '../../src/policy/types';
import { startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

/** The value of one unlabelled series in Prometheus text, or undefined when absent. */
function value(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const DEFAULT_SERIES = [
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'process_open_fds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_handles_total',
  'nodejs_gc_duration_seconds',
];

describe('metrics', () => {
  test('the process and runtime series are exposed once each, beside the countersign_ series', async () => {
    const res = await h.http.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const name of DEFAULT_SERIES) {
      const types = res.text.split('\n').filter((l) => l.startsWith(`# TYPE ${name} `));
      assert.equal(types.length, 1, `${name} is declared once`);
    }
    assert.ok(value(res.text, 'process_resident_memory_bytes')! > 0);
    assert.ok(value(res.text, 'nodejs_heap_size_used_bytes')! > 0);
    assert.ok(value(res.text, 'nodejs_eventloop_lag_seconds')! >= 0);
    assert.match(res.text, /^# TYPE countersign_decisions_total counter$/m);
  });

  test('two gateways in one process keep separate registries', async () => {
    const other = await startHarness(files.suite);
    try {
      await other.http.post('/users').send('x');
      assert.match((await other.http.get('/metrics')).text, /countersign_decisions_total\{result="unprotected"\} 1/);
      assert.doesNotMatch((await h.http.get('/metrics')).text, /countersign_decisions_total\{result="unprotected"\}/);
    } finally {
      await other.close();
    }
  });

  test('the policy and store gauges say up, then down when they are', async () => {
    const up = (await h.http.get('/metrics')).text;
    assert.equal(value(up, 'countersign_policy_ready'), 1);
    assert.equal(value(up, 'countersign_policy_reload_failing'), 0);
    assert.equal(value(up, 'countersign_store_up'), 1);

    await h.close();
    const failing: PolicyEngine = { ...files.suite.policy, status: () => ({ ready: true, revision: 'r1', lastError: 'rego_parse_error' }) };
    h = await startHarness(files.suite, {}, { policy: failing });
    await files.suite.redis.kill();
    try {
      const down = (await h.http.get('/metrics')).text;
      assert.equal(value(down, 'countersign_policy_ready'), 1);
      assert.equal(value(down, 'countersign_policy_reload_failing'), 1);
      assert.equal(value(down, 'countersign_store_up'), 0);
    } finally {
      await files.suite.redis.start();
    }
  });
});
