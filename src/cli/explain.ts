/**
 * `countersign explain`: would this call need approval, and from whom? Runs the same normalisation
 * and the same Wasm policy as the gateway, in this process, without a running gateway.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorRegistry } from '../errors';
import { createPolicyEngine } from '../policy/engine';
import { errorText } from '../policy/errors';
import { decideCall, type CallVerdict } from '../policy/decide-call';
import type { ProtectedDecision } from '../policy/types';
import { PROJECT_ROOT } from '../policy/opa-cli';
import { checkUserId } from '../identity/user-id';
import { policyPaths } from '../config/gateway-config';

const USAGE = `usage: countersign explain --method METHOD --path PATH --user USER [--groups G1,G2] [--header K:V]... [--body JSON]
                          [--json] [--case-sensitive] [--policies DIR] [--config DIR] [--bundle FILE]

  Prints whether the call would be parked for approval, and from whom. --json prints only the decision.
  example: countersign explain --method PATCH --path /deviceAppManagement/mobileApps/42 --user alice --groups helpdesk
`;

/** Where a command writes; the process by default, a buffer in tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Bodies on the command line are small; this bounds a pasted file. */
const MAX_BODY_CHARS = 1024 * 1024;

/** A folder given on the command line, else the one in the working directory, else the project's. */
export function defaultDir(given: string | undefined, name: string): string {
  if (given) return given;
  return existsSync(name) ? name : join(PROJECT_ROOT, name);
}

/**
 * The policies and config folders a command uses: the ones given on the command line, else those of
 * the gateway configuration COUNTERSIGN_CONFIG names (a file, or a folder holding gateway.yaml, such
 * as one `countersign init` wrote), else ./policies and ./config, else the project's. Throws ConfigError.
 * @example
 * policyDirs({ config: 'my-api' }); // { policiesDir: '<project>/policies', configDir: 'my-api' }
 */
export function policyDirs(given: { policies?: string | undefined; config?: string | undefined }, env: NodeJS.ProcessEnv = process.env): { policiesDir: string; configDir: string } {
  const gateway = env.COUNTERSIGN_CONFIG?.trim() ? policyPaths({ env }) : undefined;
  return {
    policiesDir: given.policies ?? gateway?.policiesDir ?? defaultDir(undefined, 'policies'),
    configDir: given.config ?? gateway?.configDir ?? defaultDir(undefined, 'config'),
  };
}

/** Runs `countersign explain`; returns the exit code (0 answered, 1 refused or failed, 2 usage). */
export async function run(args: string[], io: CommandIo = process): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        method: { type: 'string' },
        path: { type: 'string' },
        user: { type: 'string' },
        groups: { type: 'string', multiple: true },
        header: { type: 'string', multiple: true },
        body: { type: 'string' },
        json: { type: 'boolean', default: false },
        'case-sensitive': { type: 'boolean', default: false },
        policies: { type: 'string' },
        config: { type: 'string' },
        bundle: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`countersign explain: ${errorText(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.method || !values.path || !values.user) {
    io.stderr.write(`countersign explain: --method, --path and --user are required\n\n${USAGE}`);
    return 2;
  }
  // The same canonical id the gateway's identity gives (invariant 9): --user ' Alice' is alice.
  const user = checkUserId(values.user);
  if (!user.ok) {
    io.stderr.write(`countersign explain: --user: ${user.reason}\n`);
    return 2;
  }
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) {
      io.stderr.write(`countersign explain: --header needs NAME:VALUE, got ${JSON.stringify(h)}\n`);
      return 2;
    }
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  if (values.body !== undefined) {
    if (values.body.length > MAX_BODY_CHARS) {
      io.stderr.write(`countersign explain: --body is longer than ${MAX_BODY_CHARS} characters\n`);
      return 2;
    }
    try {
      JSON.parse(values.body);
    } catch (error) {
      io.stderr.write(`countersign explain: --body is not JSON: ${errorText(error)}\n`);
      return 2;
    }
    headers['content-type'] ??= 'application/json';
  }
  const body = Buffer.from(values.body ?? '', 'utf8');
  const groups = (values.groups ?? []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter((g) => g !== '');

  // The gateway's own decision function: normalisation, the policy and a batch's sub-requests.
  let verdict: CallVerdict;
  try {
    const { policiesDir, configDir } = policyDirs(values);
    const engine = await createPolicyEngine({
      policiesDir,
      configDir,
      bundlePath: values.bundle,
      upstreamCaseInsensitivePaths: !values['case-sensitive'],
    });
    try {
      verdict = decideCall(engine, { method: values.method, url: values.path, headers, body }, { userId: user.userId, groups }, {
        caseInsensitive: !values['case-sensitive'],
        bodyLimitBytes: MAX_BODY_CHARS * 4,
      });
    } finally {
      await engine.close();
    }
  } catch (error) {
    io.stderr.write(`countersign explain: no decision (the gateway would refuse this call): ${errorText(error)}\n`);
    return 1;
  }
  if (verdict.kind === 'refuse') {
    const status = errorRegistry[verdict.code].status;
    if (values.json) io.stdout.write(`${JSON.stringify({ refused: true, code: verdict.code, status, reason: verdict.reason, ...(verdict.subRequests ? { subRequests: verdict.subRequests } : {}) }, null, 2)}\n`);
    else io.stderr.write(`refused (the gateway answers ${status} ${verdict.code}): ${verdict.reason}\n`);
    return 1;
  }
  const { call } = verdict;
  const decision = verdict.kind === 'park' ? verdict.decision : { protected: false as const, ...(verdict.why ? { why: verdict.why } : {}) };
  // Which condition (when, appliesTo, exempt) made it protected or not, one line per policy.
  const why = decision.why ? decision.why.map((line) => `  why: ${line}\n`).join('') : '';

  if (values.json) {
    io.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
    return 0;
  }
  const what = `${call.method} ${call.path}`;
  if (!decision.protected) {
    io.stdout.write(`${what}: not protected, passes through to the upstream\n${why}`);
    return 0;
  }
  const groupsText = decision.approverGroups.join(', ');
  const approvals = decision.requiredApprovals === 1 ? '1 approval' : `${decision.requiredApprovals} approvals from distinct approvers`;
  io.stdout.write(
    `${what}: needs approval (${decision.operation} of ${decision.profileType} object ${decision.objectKey}): ` +
      `${approvals} in ${groupsText}, never ${user.userId}; access ${decision.policies.length === 1 ? 'policy' : 'policies'} ` +
      `${decision.policies.join(', ')}\n` +
      stagesText(decision) +
      why,
  );
  return 0;
}

/** A staged decision's stages in order, one line. */
function stagesText(decision: ProtectedDecision): string {
  if (!decision.stages) return '';
  return `  stages, in order: ${decision.stages.map((s) => `${s.name} (${s.requiredApprovals} in ${s.approverGroups.join(', ')})`).join(', then ')}\n`;
}
