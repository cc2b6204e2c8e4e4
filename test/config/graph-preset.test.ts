/**
 * The Graph preset (config/presets/graph.yaml, docs/graph.md) is a configuration the gateway
 * accepts once the deployment's own values are given, and says what Graph needs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadGatewayConfig, PROJECT_ROOT } from '../../src/config/gateway-config';

const PRESET = join(PROJECT_ROOT, 'config/presets/graph.yaml');
/** What docs/graph.md tells an operator to set: the JWT key source, issuer and audience. */
const ENTRA = {
  COUNTERSIGN_JWKS_URL: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/discovery/v2.0/keys',
  COUNTERSIGN_JWT_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
  COUNTERSIGN_JWT_AUDIENCE: 'api://countersign',
};

/** What docs/graph.md ("Entra app registrations") tells an operator to set for the gateway's own Graph credential. */
const keyDir = mkdtempSync(join(tmpdir(), 'countersign-graph-preset-'));
after(() => rmSync(keyDir, { recursive: true, force: true }));
const UPSTREAM_CLIENT = {
  COUNTERSIGN_UPSTREAM_AUTH_TOKEN_ENDPOINT: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token',
  COUNTERSIGN_UPSTREAM_AUTH_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
  COUNTERSIGN_UPSTREAM_AUTH_PRIVATE_KEY_FILE: join(keyDir, 'key.pem'),
  COUNTERSIGN_UPSTREAM_AUTH_CERTIFICATE_FILE: join(keyDir, 'cert.pem'),
};
writeFileSync(UPSTREAM_CLIENT.COUNTERSIGN_UPSTREAM_AUTH_PRIVATE_KEY_FILE, '');
writeFileSync(UPSTREAM_CLIENT.COUNTERSIGN_UPSTREAM_AUTH_CERTIFICATE_FILE, '');

test('the Graph preset loads with the deployment values from the environment', () => {
  const config = loadGatewayConfig({ file: PRESET, env: { ...ENTRA, ...UPSTREAM_CLIENT, COUNTERSIGN_PUBLIC_URL: 'https://countersign.example.com' } });
  // Graph is called with the gateway's own token, never the caller's.
  const upstreamAuth = config.upstream.auth;
  assert.equal(upstreamAuth.mode, 'clientCredentials');
  assert.equal(upstreamAuth.scope, 'https://graph.microsoft.com/.default');
  assert.equal(upstreamAuth.clientAuthMethod, 'private_key_jwt');
  assert.equal(config.upstream.url, 'https://graph.microsoft.com');
  assert.equal(config.upstream.caseInsensitivePaths, true);
  assert.equal(config.upstream.publicUrl, 'https://countersign.example.com');
  assert.equal(config.requests.parkedResponse, 'approvalRequired');
  assert.equal(config.identity.jwt?.jwksUrl, ENTRA.COUNTERSIGN_JWKS_URL);
  assert.equal(config.identity.jwt?.issuer, ENTRA.COUNTERSIGN_JWT_ISSUER);
  assert.equal(config.identity.jwt?.audience, ENTRA.COUNTERSIGN_JWT_AUDIENCE);
  // No static tokens and no demo identities in a preset meant for a tenant.
  assert.equal(config.identity.staticTokensFile, undefined);
  assert.equal(config.console.showDemoIdentities, false);
  // TLS stays a commented placeholder: the operator's own files, or a load balancer in front.
  assert.equal(config.listen.tls, undefined);
});

test('without the confidential client the Graph preset is refused, naming what to set', () => {
  assert.throws(
    () => loadGatewayConfig({ file: PRESET, env: ENTRA }),
    (error: unknown) => error instanceof ConfigError && /upstream.auth.tokenEndpoint/.test(error.message) && /COUNTERSIGN_UPSTREAM_AUTH_CLIENT_ID/.test(error.message),
  );
});

test('without a JWT key source the Graph preset is refused, naming what to set', () => {
  assert.throws(
    () => loadGatewayConfig({ file: PRESET, env: {} }),
    (error: unknown) => error instanceof ConfigError && /COUNTERSIGN_JWKS_URL/.test(error.message),
  );
});
