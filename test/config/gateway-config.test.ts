import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import selfsigned from 'selfsigned';
import { loadGatewayConfig, SETTINGS, PROJECT_ROOT, ConfigError } from '../../src/config/gateway-config';
import { readTlsFiles } from '../../src/config/tls-files';

const dir = mkdtempSync(join(tmpdir(), 'countersign-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SECRET = 's'.repeat(40);
/** The least a valid configuration needs: an upstream and an identity source. */
const MINIMAL = { COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9000', COUNTERSIGN_JWT_SECRET: SECRET };
const empty = writeFile('empty.yaml', '');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadGatewayConfig', () => {
  test('defaults', () => {
    const config = loadGatewayConfig({ file: empty, env: MINIMAL });
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 8080, shutdownGraceMs: 10_000, workers: 1 });
    assert.deepEqual(config.upstream, { url: 'http://127.0.0.1:9000', timeoutMs: 30_000, caseInsensitivePaths: true, auth: { mode: 'passthrough' } });
    assert.deepEqual(config.api, { prefix: '/maa/v1' });
    assert.deepEqual(config.redis, { url: 'redis://127.0.0.1:6379', deployment: 'default', mode: 'single', durability: { replicas: 0, timeoutMs: 500 } });
    assert.equal(config.policy.policiesDir, resolve(PROJECT_ROOT, 'policies'));
    assert.equal(config.policy.configDir, resolve(PROJECT_ROOT, 'config'));
    assert.equal(config.policy.bundlePath, undefined);
    assert.equal(config.policy.watch, false);
    assert.deepEqual(config.identity.jwt, { hs256Secret: SECRET, clockToleranceSec: 30, userClaim: 'preferred_username', groupsClaim: 'groups' });
    const day = 24 * 60 * 60 * 1000;
    assert.deepEqual(config.requests, {
      bodyLimitBytes: 10 * 1024 * 1024,
      snapshotLimitBytes: 1024 * 1024,
      snapshotTimeoutMs: 5_000,
      retentionMs: 30 * day,
      approvedRetentionMs: 30 * day,
      endedRetentionMs: 30 * day,
      auditRetentionMs: 365 * day,
      completeLeaseMs: 30_000,
      sweepIntervalMs: 60_000,
      scheduleIntervalMs: 5_000,
      backgroundLeaseMs: 15_000,
      parkedResponse: 'accepted',
    });
    assert.deepEqual(config.console, { enabled: true, showDemoIdentities: false });
    assert.deepEqual(config.log, { level: 'info' });
  });

  test('listen.workers: a whole number from 1 to 64, or auto', () => {
    assert.equal(loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_WORKERS: '4' } }).listen.workers, 4);
    assert.equal(loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_WORKERS: 'auto' } }).listen.workers, 'auto');
    assert.equal(loadGatewayConfig({ file: writeFile('workers.yaml', 'listen: { workers: 3 }\n'), env: MINIMAL }).listen.workers, 3);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_WORKERS: 'many' } })).message, /environment COUNTERSIGN_WORKERS: listen\.workers must be a whole number or auto; for example auto/);
    for (const bad of ['0', '65', '-1']) assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_WORKERS: bad } })).message, /listen\.workers must be between 1 and 64/, bad);
    assert.equal(loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_BACKGROUND_LEASE: '5s' } }).requests.backgroundLeaseMs, 5_000);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_BACKGROUND_LEASE: '10ms' } })).message, /requests\.backgroundLeaseMs must be between 1000 and 600000 ms/);
  });

  test('the shipped config/gateway.yaml agrees with the built-in defaults', () => {
    assert.deepEqual(loadGatewayConfig({ env: MINIMAL }), loadGatewayConfig({ file: empty, env: MINIMAL }));
  });

  test('file, then environment, then overrides; units and relative paths', () => {
    const tokens = writeFile('tokens.yaml', 'tokens: []\n');
    const file = writeFile(
      'gateway.yaml',
      `listen: { host: 127.0.0.1, port: 9090, workers: auto }
upstream: { url: "https://graph.example.test", timeoutMs: 2s }
redis: { deployment: from-file }
identity:
  staticTokensFile: ${tokens}
requests:
  bodyLimitBytes: 512KiB
  approvedRetentionMs: 7d
  sweepIntervalMs: 1500
policy: { policiesDir: my/policies }
log: { level: debug }
`,
    );
    const config = loadGatewayConfig({
      file,
      env: { PORT: '7070', COUNTERSIGN_SHUTDOWN_GRACE: '2s', COUNTERSIGN_DEPLOYMENT: 'from-env', COUNTERSIGN_POLICY_WATCH: 'yes', COUNTERSIGN_LOG_LEVEL: 'warn', COUNTERSIGN_API_PREFIX: '' },
      overrides: { log: { level: 'silent' }, upstream: { caseInsensitivePaths: false } },
    });
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 7070, shutdownGraceMs: 2000, workers: 'auto' });
    assert.deepEqual(config.upstream, { url: 'https://graph.example.test', timeoutMs: 2000, caseInsensitivePaths: false, auth: { mode: 'passthrough' } });
    assert.equal(config.redis.deployment, 'from-env');
    assert.equal(config.api.prefix, '/maa/v1', 'an empty variable counts as unset');
    assert.equal(config.requests.bodyLimitBytes, 512 * 1024);
    assert.equal(config.requests.approvedRetentionMs, 7 * 24 * 3600 * 1000);
    assert.equal(config.requests.sweepIntervalMs, 1500);
    // A relative path in a file resolves against that file's folder.
    assert.equal(config.policy.policiesDir, resolve(dir, 'my/policies'));
    assert.equal(config.policy.watch, true);
    assert.equal(config.log.level, 'silent');
    assert.equal(config.identity.staticTokensFile, tokens);
    assert.equal(config.identity.jwt, undefined);
  });

  test('COUNTERSIGN_CONFIG names the file; a named file that is missing is an error', () => {
    const file = writeFile('other.yaml', 'listen: { port: 1234 }\n');
    assert.equal(loadGatewayConfig({ env: { ...MINIMAL, COUNTERSIGN_CONFIG: file } }).listen.port, 1234);
    const error = configError(() => loadGatewayConfig({ env: { ...MINIMAL, COUNTERSIGN_CONFIG: join(dir, 'nope.yaml') } }));
    assert.equal(error.code, 'CONFIG_FILE_UNREADABLE');
    assert.match(error.message, /nope\.yaml: ENOENT/);
  });

  test('COUNTERSIGN_CONFIG may name a folder; paths in a file resolve against its folder; a missing file is named absolutely', () => {
    const folder = join(dir, 'elsewhere');
    mkdirSync(join(folder, 'keys'), { recursive: true });
    writeFileSync(join(folder, 'keys/tokens.yaml'), 'tokens: []\n');
    writeFileSync(join(folder, 'gateway.yaml'), 'policy: { configDir: . }\nidentity: { staticTokensFile: keys/tokens.yaml }\n');
    const config = loadGatewayConfig({ env: { COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9000', COUNTERSIGN_CONFIG: folder } });
    assert.equal(config.policy.configDir, folder);
    assert.equal(config.identity.staticTokensFile, join(folder, 'keys/tokens.yaml'));
    assert.equal(config.policy.policiesDir, resolve(PROJECT_ROOT, 'policies'), 'a default still resolves against the project');

    writeFileSync(join(folder, 'gateway.yaml'), 'identity: { staticTokensFile: tokens.yaml }\n');
    const missing = configError(() => loadGatewayConfig({ env: { COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9000', COUNTERSIGN_CONFIG: folder } }));
    assert.ok(missing.message.includes(`identity.staticTokensFile ${join(folder, 'tokens.yaml')} does not exist`), missing.message);
    const fromEnv = configError(() => loadGatewayConfig({ file: empty, env: { COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9000', COUNTERSIGN_STATIC_TOKENS: 'no/tokens.yaml' } }));
    assert.ok(fromEnv.message.includes(`environment COUNTERSIGN_STATIC_TOKENS: identity.staticTokensFile ${resolve(PROJECT_ROOT, 'no/tokens.yaml')} does not exist`), fromEnv.message);
    // Under `npm start` (cwd: the project root), a relative name means the folder npm was invoked in (INIT_CWD).
    writeFileSync(join(folder, 'gateway.yaml'), 'policy: { configDir: . }\nidentity: { staticTokensFile: keys/tokens.yaml }\n');
    assert.equal(loadGatewayConfig({ env: { COUNTERSIGN_UPSTREAM_URL: 'http://127.0.0.1:9000', COUNTERSIGN_CONFIG: 'elsewhere', INIT_CWD: dir } }).policy.configDir, folder);
    const unreadable = configError(() => loadGatewayConfig({ env: { COUNTERSIGN_CONFIG: 'no-such-folder' } }));
    assert.ok(unreadable.message.includes(`${resolve('no-such-folder')}: ENOENT`), unreadable.message);
  });

  test('a YAML syntax error names file, line and column', () => {
    const file = writeFile('broken.yaml', 'listen:\n  port: 8080\n  host: [oops\nlog: { level: info }\n');
    const error = configError(() => loadGatewayConfig({ file, env: MINIMAL }));
    assert.equal(error.code, 'CONFIG_YAML_INVALID');
    assert.match(error.issues[0]!, /broken\.yaml:\d+:\d+: /);
    const duplicate = writeFile('duplicate.yaml', 'listen:\n  port: 1\n  port: 2\n');
    assert.match(configError(() => loadGatewayConfig({ file: duplicate, env: MINIMAL })).message, /duplicate\.yaml:3:3: .*unique/i);
  });

  test('bad values name their place, the key and an example; all problems at once', () => {
    const file = writeFile('bad.yaml', 'listen:\n  port: eighty\nrequests:\n  retentionMs: 3 fortnights\n  bodyLmit: 1MiB\nconsole: yes-please\n');
    const error = configError(() => loadGatewayConfig({ file, env: { ...MINIMAL, COUNTERSIGN_UPSTREAM_URL: 'ftp://example.test', COUNTERSIGN_CONSOLE: 'maybe' } }));
    assert.equal(error.code, 'CONFIG_INVALID');
    const text = error.issues.join('\n');
    assert.match(text, /bad\.yaml:2:9: listen\.port must be a whole number; for example 8080/);
    assert.match(text, /bad\.yaml:4:16: requests\.retentionMs must be milliseconds or a number with ms, s, m, h or d; for example 30d/);
    assert.match(text, /bad\.yaml:5:13: unknown key requests\.bodyLmit; known keys of requests: bodyLimitBytes, /);
    assert.match(text, /bad\.yaml:6:10: console must be a mapping of keys \(enabled, showDemoIdentities\)/);
    assert.match(text, /environment COUNTERSIGN_UPSTREAM_URL: upstream\.url must use http: or https:; for example https:\/\/graph\.microsoft\.com/);
  });

  test('durations and sizes: the ms and bytes forms, and refusals of anything else', () => {
    const load = (env: Record<string, string>) => loadGatewayConfig({ file: empty, env: { ...MINIMAL, ...env } });
    assert.equal(load({ COUNTERSIGN_SWEEP_INTERVAL: '1.5h' }).requests.sweepIntervalMs, 5_400_000);
    assert.equal(load({ COUNTERSIGN_SWEEP_INTERVAL: '2 hours' }).requests.sweepIntervalMs, 7_200_000);
    assert.equal(load({ COUNTERSIGN_SWEEP_INTERVAL: '90000' }).requests.sweepIntervalMs, 90_000);
    for (const [text, expected] of [['2000B', 2000], ['2048', 2048], ['512KiB', 512 * 1024], ['10MiB', 10 * 1024 * 1024], ['10MB', 10 * 1024 * 1024], ['1.5KiB', 1536], ['1 GiB', 1024 ** 3]] as const) {
      assert.equal(load({ COUNTERSIGN_BODY_LIMIT: text }).requests.bodyLimitBytes, expected, text);
    }
    for (const text of ['10xyz', '1.5', '-2KiB', '10 MiBs', '0x400', '1e4']) {
      assert.match(configError(() => load({ COUNTERSIGN_BODY_LIMIT: text })).message, /requests\.bodyLimitBytes must be bytes or a number with B, KiB, MiB or GiB; for example 10MiB/, text);
    }
    for (const text of ['1.5ms', '30 parsecs', '1e3', 'x'.repeat(200)]) {
      assert.match(configError(() => load({ COUNTERSIGN_SWEEP_INTERVAL: text })).message, /requests\.sweepIntervalMs must be milliseconds or a number with ms, s, m, h or d; for example 1m/, text.slice(0, 20));
    }
    assert.match(configError(() => load({ COUNTERSIGN_SWEEP_INTERVAL: '-5s' })).message, /requests\.sweepIntervalMs must be between 1000 and 86400000 ms/);
  });

  test('required and cross-key rules', () => {
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { COUNTERSIGN_JWT_SECRET: SECRET } })).message, /upstream\.url is required: set COUNTERSIGN_UPSTREAM_URL=/);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { COUNTERSIGN_UPSTREAM_URL: 'http://u.test' } })).message, /identity has no source/);
    assert.match(
      configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_JWKS_URL: 'https://idp.test/jwks' } })).message,
      /exactly one key source, got identity\.jwt\.hs256Secret and identity\.jwt\.jwksUrl/,
    );
    const short = configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_JWT_SECRET: 'too-short-secret' } }));
    assert.match(short.message, /hs256Secret must be at least 32 characters/);
    assert.ok(!short.message.includes('too-short-secret'), 'a secret never appears in a message');
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_JWKS_URL: 'http://idp.test/jwks', COUNTERSIGN_JWT_SECRET: '' } })).message, /jwksUrl must use https:/);
    assert.equal(loadGatewayConfig({ file: empty, env: { COUNTERSIGN_UPSTREAM_URL: 'http://u.test', COUNTERSIGN_JWKS_URL: 'http://127.0.0.1:5000/jwks' } }).identity.jwt?.jwksUrl, 'http://127.0.0.1:5000/jwks');
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_JWT_ISSUER: 'x', COUNTERSIGN_JWT_SECRET: '', COUNTERSIGN_STATIC_TOKENS: empty } })).message, /identity\.jwt settings without a key source/);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_STATIC_TOKENS: 'no/such/tokens.yaml' } })).message, /identity\.staticTokensFile .*no\/such\/tokens\.yaml does not exist/);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_COMPLETE_LEASE: '5s' } })).message, /completeLeaseMs \(5000\) must not be shorter than upstream\.timeoutMs \(30000\)/);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: { ...MINIMAL, COUNTERSIGN_DEPLOYMENT: 'a}b' } })).message, /redis\.deployment has the wrong form/);
    assert.match(configError(() => loadGatewayConfig({ file: empty, env: MINIMAL, overrides: { listen: { port: 70000 } } })).message, /overrides\.listen\.port: listen\.port must be between 0 and 65535/);
  });

  test('upstream.publicUrl: an absolute http(s) URL without query or fragment, from file or COUNTERSIGN_PUBLIC_URL; unset by default', () => {
    const load = (env: Record<string, string>) => loadGatewayConfig({ file: empty, env: { ...MINIMAL, ...env } });
    assert.equal(load({}).upstream.publicUrl, undefined);
    assert.equal(load({ COUNTERSIGN_PUBLIC_URL: 'https://gw.example.com' }).upstream.publicUrl, 'https://gw.example.com');
    assert.equal(load({ COUNTERSIGN_PUBLIC_URL: 'http://127.0.0.1:8080/graph/' }).upstream.publicUrl, 'http://127.0.0.1:8080/graph/');
    const file = writeFile('public.yaml', 'upstream:\n  publicUrl: https://gw.example.com\n');
    assert.equal(loadGatewayConfig({ file, env: MINIMAL }).upstream.publicUrl, 'https://gw.example.com');
    for (const [value, reason] of [
      ['https://gw.example.com/?a=1', /upstream\.publicUrl must not have a \?query or #fragment; for example https:\/\/gw\.example\.com/],
      ['https://gw.example.com/#top', /upstream\.publicUrl must not have a #fragment/],
      ['https://gw.example.com/?', /upstream\.publicUrl must not have a \?query or #fragment/],
      ['ftp://gw.example.com', /upstream\.publicUrl must use http: or https:/],
      ['gw.example.com', /upstream\.publicUrl is not a URL/],
    ] as const) {
      assert.match(configError(() => load({ COUNTERSIGN_PUBLIC_URL: value })).message, reason, value);
    }
  });

  test('listen.tls: both files or neither, relative paths resolved, the files checked at start naming the absolute path', () => {
    const made = (cn: string) => selfsigned.generate([{ name: 'commonName', value: cn }], { keySize: 2048, days: 2, algorithm: 'sha256' });
    const leaf = made('gateway.example.test');
    const intermediate = made('intermediate.example.test');
    const cert = writeFile('tls-cert.pem', leaf.cert);
    const key = writeFile('tls-key.pem', leaf.private);
    const chain = writeFile('tls-chain.pem', intermediate.cert);
    const load = (env: Record<string, string>) => loadGatewayConfig({ file: empty, env: { ...MINIMAL, ...env } });

    assert.equal(load({}).listen.tls, undefined, 'HTTP stays the default');
    assert.deepEqual(load({ COUNTERSIGN_TLS_CERT: cert, COUNTERSIGN_TLS_KEY: key, COUNTERSIGN_TLS_CA: chain }).listen.tls, { certFile: cert, keyFile: key, caFile: chain });
    const viaFile = writeFile('tls.yaml', `listen:\n  tls:\n    certFile: ${cert}\n    keyFile: ${key}\n`);
    assert.deepEqual(loadGatewayConfig({ file: viaFile, env: MINIMAL }).listen.tls, { certFile: cert, keyFile: key });

    const material = readTlsFiles({ certFile: cert, keyFile: key, caFile: chain });
    assert.equal(material.certificate.chainLength, 2, 'the extra chain certificates are sent after the certificate');
    assert.ok(String(material.options.cert).startsWith(leaf.cert.trim()));
    assert.ok(String(material.options.cert).includes(intermediate.cert.trim()));
    assert.equal(material.certificate.subject, 'CN=gateway.example.test');

    assert.match(configError(() => load({ COUNTERSIGN_TLS_KEY: key })).message, /environment COUNTERSIGN_TLS_KEY: listen\.tls\.keyFile needs listen\.tls\.certFile \(COUNTERSIGN_TLS_CERT\) too: TLS takes both or neither/);
    assert.match(configError(() => load({ COUNTERSIGN_TLS_CA: chain })).message, /listen\.tls\.caFile without listen\.tls\.certFile and listen\.tls\.keyFile/);
    // A relative path resolves against the project root, and the message names where it looked.
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: 'no/such/cert.pem', COUNTERSIGN_TLS_KEY: key })).message.includes(`listen.tls.certFile ${resolve(PROJECT_ROOT, 'no/such/cert.pem')}: does not exist`));
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: key, COUNTERSIGN_TLS_KEY: key })).message.includes(`listen.tls.certFile ${key}: holds no PEM certificate`));
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: cert, COUNTERSIGN_TLS_KEY: cert })).message.includes(`listen.tls.keyFile ${cert}: holds no PEM private key`));
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: cert, COUNTERSIGN_TLS_KEY: key, COUNTERSIGN_TLS_CA: key })).message.includes(`listen.tls.caFile ${key}: holds no PEM certificate`));
    const broken = writeFile('tls-broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: broken, COUNTERSIGN_TLS_KEY: key })).message.includes(`listen.tls.certFile ${broken}: certificate 1 cannot be parsed`));
    const otherKey = writeFile('tls-other-key.pem', intermediate.private);
    assert.ok(configError(() => load({ COUNTERSIGN_TLS_CERT: cert, COUNTERSIGN_TLS_KEY: otherKey })).message.includes(`listen.tls.keyFile ${otherKey}: the key does not belong to the first certificate of ${cert}`));
    const encrypted = writeFile(
      'tls-encrypted.pem',
      createPrivateKey(leaf.private).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }) as string,
    );
    const refused = configError(() => load({ COUNTERSIGN_TLS_CERT: cert, COUNTERSIGN_TLS_KEY: encrypted })).message;
    assert.ok(refused.includes(`listen.tls.keyFile ${encrypted}: the key is encrypted`), refused);
    assert.ok(!refused.includes(leaf.private.split('\n')[1]!), 'no key material in the message');
  });

  test('redis.mode: sentinel and cluster take their nodes, single refuses them, and each mode says what it misses', () => {
    const load = (env: Record<string, string>) => loadGatewayConfig({ file: empty, env: { ...MINIMAL, ...env } });
    const sentinel = load({ REDIS_MODE: 'sentinel', REDIS_NODES: '10.0.0.1:26379, 10.0.0.2:26379,[::1]:26380', REDIS_SENTINEL_MASTER: 'countersign', COUNTERSIGN_REDIS_WAIT_REPLICAS: '1', COUNTERSIGN_REDIS_WAIT_TIMEOUT: '250ms' });
    assert.deepEqual(sentinel.redis, {
      url: 'redis://127.0.0.1:6379',
      deployment: 'default',
      mode: 'sentinel',
      nodes: ['10.0.0.1:26379', '10.0.0.2:26379', '[::1]:26380'],
      masterName: 'countersign',
      durability: { replicas: 1, timeoutMs: 250 },
    });
    const cluster = load({ REDIS_MODE: 'cluster', REDIS_NODES: 'redis-0:6379' });
    assert.deepEqual(cluster.redis.nodes, ['redis-0:6379']);

    assert.match(configError(() => load({ REDIS_MODE: 'sentinel', REDIS_NODES: '10.0.0.1:26379' })).message, /redis\.mode sentinel needs redis\.masterName \(REDIS_SENTINEL_MASTER\)/);
    assert.match(configError(() => load({ REDIS_MODE: 'cluster' })).message, /redis\.mode cluster needs redis\.nodes \(REDIS_NODES\), e\.g\. 10\.0\.0\.1:6379/);
    assert.match(configError(() => load({ REDIS_NODES: '10.0.0.1:6379' })).message, /environment REDIS_NODES: redis\.nodes is set but redis\.mode is single/);
    assert.match(configError(() => load({ REDIS_MODE: 'cluster', REDIS_NODES: '10.0.0.1:6379', REDIS_SENTINEL_MASTER: 'x' })).message, /redis\.masterName only applies to redis\.mode sentinel/);
    assert.match(configError(() => load({ REDIS_MODE: 'cluster', REDIS_NODES: 'redis://10.0.0.1:6379' })).message, /REDIS_NODES.*wrong form/);
    assert.match(configError(() => load({ REDIS_MODE: 'replicated' })).message, /must be one of single, sentinel, cluster/);
    assert.match(configError(() => load({ COUNTERSIGN_REDIS_WAIT_TIMEOUT: '3s' })).message, /COUNTERSIGN_REDIS_WAIT_TIMEOUT.*between 1 and 1500/);
  });

  test('docs/configuration.md lists every key with its environment variable, and no key that does not exist', () => {
    const docs = readFileSync(resolve(PROJECT_ROOT, 'docs/configuration.md'), 'utf8');
    for (const setting of SETTINGS) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${setting.key}\``));
      assert.ok(row, `docs/configuration.md has no row for ${setting.key}`);
      assert.ok(row.includes(`\`${setting.env}\``), `the row of ${setting.key} does not name ${setting.env}`);
    }
    const documented = [...docs.matchAll(/^\| `([a-zA-Z.]+)`/gm)].map((m) => m[1]);
    assert.deepEqual(documented.filter((key) => !SETTINGS.some((s) => s.key === key)), []);
  });

  test("the README's configuration table has every key, with the same default and variable as docs/configuration.md", () => {
    const firstColumns = (text: string): string[] =>
      text
        .split('\n')
        .filter((line) => /^\| `[a-zA-Z]+\.[a-zA-Z0-9.]+` \|/.test(line))
        .map((line) => line.split(' | ').slice(0, 3).join(' | ').replace(/ \|$/, ''));
    const readme = firstColumns(readFileSync(resolve(PROJECT_ROOT, 'README.md'), 'utf8'));
    const docs = firstColumns(readFileSync(resolve(PROJECT_ROOT, 'docs/configuration.md'), 'utf8'));
    assert.equal(readme.length, SETTINGS.length);
    assert.deepEqual(readme, docs);
  });
});
