/**
 * The one list of gateway routes: the matcher's behaviour, and the server answering every
 * listed route itself (nothing listed reaches the upstream, nothing unlisted is kept).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSOLE_PREFIX, GATEWAY_PATHS, gatewayRouteMatcher } from '../../src/gateway/gateway-routes';
import { startHarness, useHarness, type Harness } from '../support/harness';

let h: Harness;
const files = useHarness({ get: () => h, set: (next) => (h = next) });

describe('gateway routes', () => {
  test('the matcher: exact paths, prefixes and below, query ignored, case-sensitive', () => {
    const isGatewayRoute = gatewayRouteMatcher('/maa/v1');
    for (const url of ['/healthz', '/readyz', '/metrics', '/metrics?x=1', '/maa/v1', '/maa/v1/requests?view=mine', '/maa/console', '/maa/console/', '/maa/console/app.js']) {
      assert.equal(isGatewayRoute(url), true, url);
    }
    for (const url of ['/', '/healthz/', '/Healthz', '/metricsx', '/maa/v1x', '/MAA/v1/requests', '/maa/consoles', '/maa', '/users?x=/maa/v1']) {
      assert.equal(isGatewayRoute(url), false, url);
    }
    assert.equal(gatewayRouteMatcher('/approvals')('/approvals/requests'), true);
    assert.equal(gatewayRouteMatcher('/approvals')('/maa/v1/requests'), false);
  });

  test('every listed route is answered by the gateway, none is proxied', async () => {
    await h.close();
    h = await startHarness(files.suite, { console: { enabled: true, showDemoIdentities: false } });
    for (const path of [...Object.values(GATEWAY_PATHS), `${CONSOLE_PREFIX}/`]) {
      const res = await h.http.get(path);
      assert.equal(res.status, 200, path);
    }
    assert.deepEqual(h.upstream.calls, []);
  });
});
