/**
 * `countersign init --upstream URL [--openapi FILE|URL] [--out DIR] [--force]`: writes a working
 * configuration folder for protecting one's own API: gateway.yaml, a local-only static token file
 * (0600, git-ignored), roles, and, from the upstream's OpenAPI 3 document, one profile type per
 * tag with its mutating routes and a disabled access policy for each. The folder is written
 * whole into a temporary sibling, checked with the same loaders the gateway uses, then renamed
 * into place: a failed init leaves nothing behind, and an existing folder is only replaced with
 * --force.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, loadGatewayConfig } from '../config/gateway-config';
import { loadPolicyConfig } from '../config/policy-config';
import { errorText } from '../policy/errors';
import type { CommandIo } from './explain';
import { inferProfileTypes, type InferredProfileType } from './infer-profile-types';
import { OpenApiError, readOpenApi, type ApiDocument } from './openapi-document';

const USAGE = `usage: countersign init --upstream URL [--openapi FILE|URL] [--out DIR] [--force]

  Writes a configuration folder (default ./countersign) for a gateway in front of URL:
  gateway.yaml, local-tokens.yaml (static tokens for local trials only), roles.yaml, and from the
  upstream's OpenAPI 3 document one profile type per tag with a disabled access policy each.
  Then: countersign policy test --config DIR; COUNTERSIGN_CONFIG=DIR npm start.
  --force replaces an existing DIR.
`;

/** The name of the token file; .gitignore keeps it out of git. */
export const LOCAL_TOKENS_FILE = 'local-tokens.yaml';
/** The group every generated access policy names; the generated approver is in it. */
export const APPROVER_GROUP = 'approvers';

/** The identities of the token file: one who changes, one who approves, one who only looks. */
const PEOPLE = [
  { userId: 'alice', groups: ['operators'], description: 'makes changes' },
  { userId: 'bob', groups: [APPROVER_GROUP], description: 'approves changes' },
  { userId: 'erin', groups: ['auditors'], description: 'auditor: sees every request, changes nothing' },
] as const;

export interface InitOptions {
  upstream: string;
  openapi?: string;
  out: string;
  force?: boolean;
}

export interface InitResult {
  dir: string;
  profileTypes: InferredProfileType[];
  notes: string[];
  document?: ApiDocument;
}

/** A refusal of init's own (not of the document's); `code` is stable (docs/cli.md). */
export class InitError extends Error {
  constructor(
    readonly code: 'INIT_USAGE' | 'INIT_OUT_EXISTS' | 'INIT_INVALID_RESULT',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'InitError';
  }
}

/** Runs `countersign init`; returns the exit code (0 written, 1 failed, 2 usage). */
export async function run(args: string[], io: CommandIo = process): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        upstream: { type: 'string' },
        openapi: { type: 'string' },
        out: { type: 'string', default: 'countersign' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`countersign init: ${errorText(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.upstream) {
    io.stderr.write(`countersign init: --upstream is required\n\n${USAGE}`);
    return 2;
  }
  try {
    const result = await init({ upstream: values.upstream, out: values.out, force: values.force, ...(values.openapi ? { openapi: values.openapi } : {}) });
    io.stdout.write(summary(result));
    return 0;
  } catch (error) {
    io.stderr.write(`countersign init: ${errorText(error)}\n`);
    return error instanceof InitError && error.code === 'INIT_USAGE' ? 2 : 1;
  }
}

/**
 * Writes the configuration folder; throws InitError, OpenApiError or ConfigError and then writes nothing.
 * @example
 * await init({ upstream: 'http://127.0.0.1:3000', openapi: 'openapi.json', out: 'my-api' });
 */
export async function init(options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.out);
  checkUpstream(options.upstream);
  const cwd = process.cwd();
  if (cwd === dir || cwd.startsWith(`${dir}${sep}`)) {
    throw new InitError('INIT_USAGE', `--out ${dir} is the current folder or holds it; name a new folder, e.g. --out my-api`);
  }
  if (existsSync(dir) && !(isDirectory(dir) && readdirSync(dir).length === 0)) {
    if (!options.force) throw new InitError('INIT_OUT_EXISTS', `${dir} exists; choose another --out, or add --force to replace it`);
    // --force replaces what an earlier init wrote, never an unrelated folder given by mistake.
    if (!existsSync(join(dir, 'gateway.yaml'))) {
      throw new InitError('INIT_OUT_EXISTS', `${dir} exists and holds no gateway.yaml, so it is not a folder init wrote; --force replaces only those: choose another --out`);
    }
  }
  const document = options.openapi === undefined ? undefined : await readOpenApi(options.openapi);
  const { profileTypes, notes } = document ? inferProfileTypes(document.operations) : { profileTypes: [], notes: [] };
  const basePath = document?.server === undefined ? undefined : serverBasePath(document.server);
  if (basePath && !new URL(options.upstream).pathname.replace(/\/+$/, '').endsWith(basePath)) {
    // The routes are the document's paths, which are relative to its server's base path: a call
    // to the gateway must carry them as they are, so the base path belongs in upstream.url.
    notes.push(`the document's server ${document!.server} puts its paths below ${basePath}, and --upstream ${options.upstream} does not end with it: if the API is served there, run init again with --upstream <origin>${basePath}`);
  }

  mkdirSync(dirname(dir), { recursive: true });
  const work = join(dirname(dir), `.${basename(dir)}.init-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFolder(work, options, profileTypes, document, basename(dir));
    // The result must load as the gateway and `policy test` will load it; otherwise nothing is written.
    try {
      loadPolicyConfig(work);
      loadGatewayConfig({ file: join(work, 'gateway.yaml'), env: {} });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new InitError('INIT_INVALID_RESULT', `the generated configuration does not load (please report this with the document): ${error.message.split(work).join(dir)}`);
    }
    if (existsSync(dir)) {
      // --force (or an empty folder): the old folder goes aside first, so a failed rename loses nothing.
      const old = `${work}.old`;
      renameSync(dir, old);
      try {
        renameSync(work, dir);
      } catch (error) {
        renameSync(old, dir);
        throw error;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(work, dir);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, profileTypes, notes, ...(document ? { document } : {}) };
}

/** The path part of a server URL (`https://petstore.example.com/v2` → `/v2`); undefined when it has none or is templated. */
function serverBasePath(server: string): string | undefined {
  if (server.includes('{')) return undefined;
  try {
    const path = new URL(server, 'http://server.invalid').pathname.replace(/\/+$/, '');
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function checkUpstream(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InitError('INIT_USAGE', `--upstream must be an absolute http(s) URL, for example http://127.0.0.1:3000 (got ${JSON.stringify(value.slice(0, 200))})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InitError('INIT_USAGE', `--upstream must use http: or https:, for example https://api.example.com`);
  // gateway.yaml is meant for git: a password in the URL would end up there (and in logs of it).
  if (url.username || url.password) throw new InitError('INIT_USAGE', '--upstream must not carry a user or password: gateway.yaml is meant to be committed; give the upstream credentials another way');
  if (url.search || url.hash) throw new InitError('INIT_USAGE', '--upstream must not have a ?query or #fragment: paths are appended to it');
}

function writeFolder(work: string, options: InitOptions, types: InferredProfileType[], document: ApiDocument | undefined, name: string): void {
  mkdirSync(join(work, 'profile-types'), { recursive: true });
  mkdirSync(join(work, 'access-policies'), { recursive: true });
  const from = document ? oneLine(`${document.title} ${document.version} (OpenAPI ${document.openapi})`) : undefined;
  const deployment = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 64) || 'default';

  writeFileSync(
    join(work, 'gateway.yaml'),
    `# Countersign gateway configuration, written by \`countersign init\` for ${options.upstream}.
# Start the gateway with it:   COUNTERSIGN_CONFIG=${options.out} npm start
# Check the policies with it:  npx countersign policy test --config ${options.out}
# Every key, its default and its environment variable: docs/configuration.md (environment
# variables override this file). Relative paths in this file resolve against this folder.

listen:
  # Loopback only while identities come from the local token file: anyone with a token is that user.
  host: 127.0.0.1
  port: 8080                       # PORT

upstream:
  url: ${JSON.stringify(options.upstream)}
  timeoutMs: 30s

redis:
  url: redis://127.0.0.1:6379      # REDIS_URL
  deployment: ${deployment.padEnd(20)} # hash tag of every key: maa:{${deployment}}:...

policy:
  # Profile types, access policies and roles: this folder. The Rego policies are Countersign's own
  # (its policies/ folder) unless policiesDir names yours.
  configDir: .

identity:
  # LOCAL TRIALS ONLY: static bearer tokens. Before anyone else can reach this gateway, replace this
  # with verified JWTs (identity.jwt.jwksUrl, issuer, audience: docs/configuration.md) and delete
  # ${LOCAL_TOKENS_FILE}.
  staticTokensFile: ${LOCAL_TOKENS_FILE}
`,
  );

  const tokens = PEOPLE.map((p) => ({ token: `local-${p.userId}-${randomBytes(18).toString('base64url')}`, userId: p.userId, groups: [...p.groups], description: p.description }));
  writeFileSync(
    join(work, LOCAL_TOKENS_FILE),
    `# LOCAL TRIALS ONLY. Static bearer tokens written by \`countersign init\`: anyone who reads this
# file can act as these users. It is readable by its owner alone (0600) and git-ignored; never
# commit it or deploy it. Production verifies JWTs instead (docs/configuration.md, identity.jwt).
# Use one:  curl -H "Authorization: Bearer <token>" ...
${stringify({ tokens })}`,
    { mode: 0o600 },
  );
  writeFileSync(join(work, '.gitignore'), `# Local-only bearer tokens: never in git.\n${LOCAL_TOKENS_FILE}\n`);
  writeFileSync(
    join(work, 'roles.yaml'),
    `# Roles beyond approver groups. Auditors may view every request and its history, but never approve,\n# reject, cancel or complete.\nauditorGroups: [auditors]\n`,
  );

  for (const type of types) {
    const routes = type.routes.map((r) => `  # ${oneLine(r.note, 20_000)}\n  - { method: ${r.method}, path: ${JSON.stringify(r.path)}, operation: ${r.operation} }`).join('\n');
    writeFileSync(
      join(work, 'profile-types', `${type.name}.yaml`),
      `# Profile type "${type.name}": the mutating routes of ${type.source.startsWith('/') ? `the top-level collection ${oneLine(type.source)}` : `the tag "${oneLine(type.source)}"`}
# in ${from}, written by \`countersign init\`.
# Review before enabling its access policy: the operation (create, modify, delete, assign) was
# inferred from the method and the path. A call's object is its path up to and including the
# first parameter (/${'{'}collection}/${'{'}id}), and at most one request per object is open at a time.
name: ${type.name}
description: ${JSON.stringify(`${type.source.startsWith('/') ? type.source : `Tag ${type.source}`} of ${document?.title ?? 'the upstream'}`.slice(0, 1000))}
routes:
${routes}
`,
    );
    writeFileSync(
      join(work, 'access-policies', `${type.name}.yaml`),
      `# Changes to ${type.name} (profile-types/${type.name}.yaml) need a second person from ${APPROVER_GROUP}.
# Disabled as written: review the profile type, name your approver group, then set enabled: true.
name: ${type.name}-approval
description: ${JSON.stringify(`Creating, changing, deleting or assigning ${type.name} needs a second administrator from ${APPROVER_GROUP}.`)}
profileType: ${type.name}
approverGroups: [${APPROVER_GROUP}]
requiredApprovals: 1
enabled: false
`,
    );
  }
}

/** Text from the document for a YAML comment or the summary: one line, no control characters, bounded. */
function oneLine(text: string, max = 200): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').slice(0, max);
}

function summary(result: InitResult): string {
  const lines = [`wrote ${result.dir}:`, `  gateway.yaml, roles.yaml, ${LOCAL_TOKENS_FILE} (local trials only; 0600, git-ignored)`];
  if (result.document) {
    lines.push(`  from ${oneLine(`${result.document.title} ${result.document.version}`)}: ${result.profileTypes.length} profile types, each with a disabled access policy:`);
    for (const t of result.profileTypes) lines.push(`    ${t.name.padEnd(24)} ${t.routes.length} route${t.routes.length === 1 ? '' : 's'}  (${oneLine(t.source)})`);
  } else {
    lines.push('  no --openapi: profile-types/ and access-policies/ are empty; add routes by hand (docs/policy.md)');
  }
  for (const note of result.notes) lines.push(`  note: ${oneLine(note, 4000)}`);
  lines.push(
    '',
    'Next:',
    `  1. review ${join(result.dir, 'profile-types')}/*.yaml, then set enabled: true in ${join(result.dir, 'access-policies')}/<type>.yaml`,
    `  2. npx countersign policy test --config ${result.dir}`,
    `  3. COUNTERSIGN_CONFIG=${result.dir} npm start      (Redis at redis://127.0.0.1:6379, or set REDIS_URL)`,
    `  4. call the gateway on http://127.0.0.1:8080 with a token from ${LOCAL_TOKENS_FILE}`,
    '',
  );
  return lines.join('\n');
}
