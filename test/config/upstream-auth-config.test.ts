/**
 * upstream.auth settings: the token modes need an endpoint, a client id and exactly one credential
 * that fits the authentication method; a secret is never accepted inline in the YAML (and never
 * echoed in an error); passthrough takes none of it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadGatewayConfig } from '../../src/config/gateway-config';

const dir = mkdtempSync(join(tmpdir(), 'countersign-upstream-auth-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, 'the-client-secret');
const MINIMAL = { COUNTERSIGN_UPSTREAM_URL: 'https://graph.microsoft.com', COUNTERSIGN_JWT_SECRET: 's'.repeat(40) };
const ENDPOINT = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token';

function load(yaml: string, env: Record<string, string> = {}) {
  const file = join(dir, `gateway-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return loadGatewayConfig({ file, env: { ...MINIMAL, ...env } });
}

function refused(yaml: string, env: Record<string, string> = {}): string {
  try {
    load(yaml, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('passthrough is the default and takes no other upstream.auth key', () => {
  assert.deepEqual(load('').upstream.auth, { mode: 'passthrough' });
  assert.match(refused(`upstream: { auth: { clientId: app } }`), /upstream.auth.clientId is set but upstream.auth.mode is passthrough/);
});

test('clientCredentials from the file and the environment, with defaults', () => {
  const config = load(`upstream:\n  auth:\n    mode: clientCredentials\n    tokenEndpoint: ${ENDPOINT}\n    scope: https://graph.microsoft.com/.default\n`, {
    COUNTERSIGN_UPSTREAM_AUTH_CLIENT_ID: 'app-id',
    COUNTERSIGN_UPSTREAM_AUTH_CLIENT_SECRET_FILE: secretFile,
  });
  assert.deepEqual(config.upstream.auth, {
    mode: 'clientCredentials',
    tokenEndpoint: ENDPOINT,
    clientId: 'app-id',
    clientAuthMethod: 'client_secret_post',
    clientSecretFile: secretFile,
    scope: 'https://graph.microsoft.com/.default',
    form: 'tokenExchange',
    cacheSize: 1000,
    timeoutMs: 10_000,
  });
  assert.ok(!JSON.stringify(config).includes('the-client-secret'), 'the configuration holds where the secret is, never the secret');
});

test('a private key means private_key_jwt unless said otherwise', () => {
  const key = join(dir, 'key.pem');
  writeFileSync(key, 'checked at start');
  const config = load(`upstream: { auth: { mode: onBehalfOf, issuer: "https://login.example.com", clientId: app, privateKeyFile: ${key}, form: entraOnBehalfOf } }`);
  assert.equal(config.upstream.auth.mode === 'onBehalfOf' && config.upstream.auth.clientAuthMethod, 'private_key_jwt');
  assert.match(refused(`upstream: { auth: { mode: onBehalfOf, issuer: "https://login.example.com", clientId: app, privateKeyFile: ${key}, clientAuthMethod: client_secret_basic } }`), /client_secret_basic takes a client secret/);
});

test('an inline secret is refused, and its value is not repeated', () => {
  const message = refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, clientSecret: "Sup3r~Secret.Value" } }`);
  assert.match(message, /upstream.auth.clientSecret is refused: secrets never go in the configuration file; use upstream.auth.clientSecretFile/);
  assert.ok(!message.includes('Sup3r~Secret.Value'));
  const key = refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, privateKey: "-----BEGIN PRIVATE KEY-----MIIE" } }`);
  assert.match(key, /upstream.auth.privateKey is refused/);
  assert.ok(!key.includes('MIIE'));
  // A secret pasted where the variable's name goes is not echoed either.
  const pasted = refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, clientSecretEnv: "Sup3r~Secret.Value" } }`);
  assert.match(pasted, /clientSecretEnv has the wrong form/);
  assert.ok(!pasted.includes('Sup3r~Secret.Value'));
});

test('the token modes need an endpoint, a client id and exactly one credential', () => {
  const message = refused('upstream: { auth: { mode: clientCredentials } }');
  assert.match(message, /needs upstream.auth.issuer or upstream.auth.tokenEndpoint/);
  assert.match(message, /needs upstream.auth.clientId/);
  assert.match(message, /exactly one credential, got none/);
  assert.match(
    refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, clientSecretFile: ${secretFile}, clientSecretEnv: SECRET } }`),
    /exactly one credential, got upstream.auth.clientSecretFile and upstream.auth.clientSecretEnv/,
  );
  assert.match(refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, clientSecretFile: ${join(dir, 'missing')} } }`), /clientSecretFile .*missing does not exist/);
  assert.match(refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "http://login.example.com/token", clientId: app, clientSecretFile: ${secretFile} } }`), /tokenEndpoint must use https:/);
  assert.match(refused(`upstream: { auth: { mode: clientCredentials, tokenEndpoint: "${ENDPOINT}", clientId: app, clientSecretFile: ${secretFile}, form: entraOnBehalfOf } }`), /form only applies to upstream.auth.mode onBehalfOf/);
});
