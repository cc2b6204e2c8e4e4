/**
 * `countersign policy test` and `countersign policy build`: the OPA steps, plus validation of the
 * YAML the policy will be given, so that CI catches a bad access policy before a gateway does.
 */
import { copyFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPolicyConfig } from '../config/policy-config';
import { errorText } from '../policy/errors';
import { BUNDLE_SIGNING_ALGS } from '../policy/bundle-signature';
import { buildBundle, gitRevision, testPolicies } from '../policy/opa-cli';
import { policyDirs, type CommandIo } from './explain';

const USAGE = `usage: countersign policy test [--policies DIR] [--config DIR]
       countersign policy build [--out FILE] [--sign-key FILE [--signing-alg ALG]] [--policies DIR] [--config DIR]

  Without --policies/--config: those of the gateway configuration COUNTERSIGN_CONFIG names (a file, or
  a folder with gateway.yaml such as \`countersign init\` writes), else ./policies and ./config.

  test   validates config/ (access policies, profile types, roles), then opa check and opa test -v
  build  validates config/, then opa build -t wasm (cached by content hash); --out copies the bundle.
         In a git checkout the manifest's revision is the commit of HEAD, "-dirty" when policies/ or
         config/ have changes not committed.
         --sign-key FILE     sign with OPA's bundle signing (.signatures.json), PEM private key
         --signing-alg ALG   ${BUNDLE_SIGNING_ALGS.join(', ')} (default RS256; must suit the key)
`;

/** Runs `countersign policy <test|build>`; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function run(args: string[], io: CommandIo = process): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'test' && sub !== 'build') {
    io.stderr.write(sub === undefined || sub === '--help' ? USAGE : `countersign policy: unknown subcommand "${sub}"\n\n${USAGE}`);
    return sub === '--help' ? 0 : 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { out: { type: 'string' }, policies: { type: 'string' }, config: { type: 'string' }, 'sign-key': { type: 'string' }, 'signing-alg': { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`countersign policy ${sub}: ${errorText(error)}\n\n${USAGE}`);
    return 2;
  }
  if (sub === 'test' && (values.out || values['sign-key'] || values['signing-alg'])) {
    io.stderr.write(`countersign policy test: --out, --sign-key and --signing-alg belong to policy build\n`);
    return 2;
  }
  const alg = values['signing-alg'];
  if (alg !== undefined && (!values['sign-key'] || !(BUNDLE_SIGNING_ALGS as readonly string[]).includes(alg))) {
    io.stderr.write(`countersign policy build: --signing-alg needs --sign-key and one of ${BUNDLE_SIGNING_ALGS.join(', ')}\n`);
    return 2;
  }
  try {
    const { policiesDir, configDir } = policyDirs(values);
    const config = loadPolicyConfig(configDir);
    io.stdout.write(
      `config ok: ${config.profileTypes.length} profile types, ${config.accessPolicies.length} access policies ` +
        `(${config.accessPolicies.filter((p) => p.enabled).length} enabled)\n`,
    );
    if (sub === 'test') {
      io.stdout.write(await testPolicies({ policiesDir }));
      return 0;
    }
    const revision = gitRevision([policiesDir, configDir]);
    const signKey = values['sign-key'];
    const built = await buildBundle({ policiesDir, ...(revision ? { revision } : {}), ...(signKey ? { signing: { keyFile: signKey, ...(alg ? { alg } : {}) } } : {}) });
    if (values.out) copyFileSync(built.path, values.out);
    io.stdout.write(
      `bundle ${built.hash}${built.cached ? ' (cached)' : ''}${signKey ? `, signed ${alg ?? 'RS256'}` : ''}, revision ${revision ?? '(none: not a git checkout)'}: ${values.out ?? built.path}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(`countersign policy ${sub}: ${errorText(error)}\n`);
    return 1;
  }
}
