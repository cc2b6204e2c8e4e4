/**
 * The policy engine: Rego built to Wasm by the real OPA CLI (or a prebuilt bundle), evaluated
 * in-process by @open-policy-agent/opa-wasm with the validated YAML as data. Evaluation is
 * synchronous; every failure becomes PolicyUnavailableError, and the caller denies.
 *
 * Hot reload: with `watch`, a change under the policies or config folder rebuilds everything
 * off to the side, then swaps one reference. A change that fails keeps the last good policy
 * serving and shows in status().lastError until a later change succeeds.
 *
 * Remote bundle: with `bundleUrl`, the bundle comes from a bundle server, polled with its ETag.
 * With `bundleVerification`, a bundle (remote or `bundlePath`) loads only when its signature and
 * every file's hash verify. A poll that brings a missing, unsigned, tampered or broken bundle
 * keeps the last good one serving, counted in status().bundle.loads and shown in lastError; a
 * gateway never starts without a good bundle.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { watch as watchFs, readFileSync, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { Logger } from 'pino';
import { loadPolicyConfig, type PolicyConfig } from '../config/policy-config';
import { bundleContents, readBundle, unpackBundle, type BundleContents } from './bundle';
import { verifyBundleSignature, type BundleSigningAlg } from './bundle-signature';
import { fetchBundle } from './bundle-source';
import { errorText, PolicyUnavailableError } from './errors';
import { buildBundle, ENTRYPOINTS } from './opa-cli';
import { readAuthorize, readDecision } from './result-shape';
import type { AccessPolicy, AuthorizeInput, AuthorizeResult, BundleLoadOutcome, Decision, DecisionInput, PolicyEngine, PolicyStatus, ProfileType, Roles } from './types';

export interface PolicyEngineOptions {
  /** Folder of .rego files (ignored when bundlePath is given, except that it is not watched). */
  policiesDir: string;
  /** Folder holding access-policies/, profile-types/ and roles.yaml. */
  configDir: string;
  /** A prebuilt `opa build -t wasm` bundle: then OPA is not needed at all. */
  bundlePath?: string;
  opaBin?: string;
  /** Rebuild and swap on changes under policiesDir and configDir. */
  watch?: boolean;
  logger?: Logger;
  /** Where built bundles are cached (default `.build/policy` in the project). */
  cacheDir?: string;
  /** How many decisions to remember per loaded policy (default 10,000; 0 turns the memo off). */
  decisionCacheSize?: number;
  /**
   * The gateway's `upstream.caseInsensitivePaths` (default true, the strict reading): when true,
   * a profile type with `caseInsensitive: false` is refused (ConfigError), at start and on reload.
   */
  upstreamCaseInsensitivePaths?: boolean;
  /** Fetch the bundle from this URL (OPA's bundle service protocol) instead of building or reading one. */
  bundleUrl?: string;
  /** How often `bundleUrl` is polled (default 60 s). */
  bundlePollIntervalMs?: number;
  /** The largest bundle download accepted (default 32 MiB). */
  bundleMaxBytes?: number;
  /** Check the bundle's `.signatures.json` with this public key before loading it (required with bundleUrl by the gateway's config). */
  bundleVerification?: { publicKey: KeyObject; alg: BundleSigningAlg };
}

const DEFAULT_POLL_MS = 60_000;
const DEFAULT_BUNDLE_MAX_BYTES = 32 * 1024 * 1024;
/** One bundle download may take this long before it counts as failed. */
const BUNDLE_FETCH_TIMEOUT_MS = 30_000;

/** The last good remote bundle: its bytes (config reloads reuse them) and the ETag it came with. */
interface RemoteBundle {
  url: string;
  bytes: Buffer;
  etag?: string;
  lastCheckAt?: string;
  loads: Record<BundleLoadOutcome, number>;
}

/** Inputs longer than this (as JSON) are evaluated every time, never remembered. */
const MAX_MEMO_INPUT_CHARS = 4096;

/** Changes closer together than this are one reload (editors write files in several steps). */
const RELOAD_DEBOUNCE_MS = 150;

/** Wasm memory ceiling in 64 KiB pages: a runaway input fails (and denies) instead of eating the host. */
const MAX_WASM_PAGES = 2048;

interface LoadedState {
  policy: LoadedPolicy;
  decisionEntrypoint: number;
  authorizeEntrypoint: number;
  config: PolicyConfig;
  revision: string;
  /** The bundle manifest's revision (the git commit `countersign policy build` recorded), when it has one. */
  bundleRevision?: string;
  loadedAt: string;
  /**
   * Decisions already made by this very policy and data, keyed by the input's JSON. A decision is
   * a pure function of input and data (the build's capabilities leave out every nondeterministic
   * builtin), so a remembered one is the one evaluation would give. It belongs to the loaded state:
   * a reload starts empty, so a decision never outlives the policy that made it.
   */
  decisions: Map<string, Decision>;
}

/**
 * Builds (or reads) the bundle, validates the configuration, loads the Wasm and checks both entry
 * points answer in shape. Throws ConfigError or PolicyBuildError with a clear message when it cannot.
 * @example
 * const engine = await createPolicyEngine({ policiesDir: 'policies', configDir: 'config' });
 * engine.decide({ call: { method: 'PATCH', path: '/deviceappmanagement/mobileapps/42', query: {}, headers: {} }, caller: { userId: 'alice', groups: [] } });
 */
export async function createPolicyEngine(options: PolicyEngineOptions): Promise<PolicyEngine> {
  const { logger } = options;
  const memoSize = options.decisionCacheSize ?? 10_000;
  const remote = options.bundleUrl ? await firstRemoteBundle(options.bundleUrl, options) : undefined;
  let current: LoadedState | undefined = await loadState(options, remote?.bytes);
  if (remote) remote.loads.loaded++;
  let lastError: string | undefined;
  let closed = false;
  logger?.info({ revision: current.revision, bundleRevision: current.bundleRevision }, 'policy loaded');

  // Config reloads and bundle polls swap the same reference: run one at a time, in order, so a
  // reload that began with the old bundle never lands after a newer bundle was swapped in.
  let serial: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(job: () => Promise<T>): Promise<T> => {
    const next = serial.then(job, job);
    serial = next.catch(() => undefined);
    return next;
  };

  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let reloading: Promise<void> | undefined;
  let again = false;

  const reload = (): Promise<void> => inTurn(async () => {
    try {
      const next = await loadState(options, remote?.bytes);
      if (closed) return;
      const previous = current?.revision;
      current = next; // the swap: one assignment, so a decision sees the old or the new state, never a mix
      lastError = undefined;
      logger?.info({ revision: next.revision, previous }, 'policy reloaded');
    } catch (error) {
      lastError = `${new Date().toISOString()} ${errorText(error)}`;
      logger?.error({ err: errorText(error), revision: current?.revision }, 'policy reload failed; the last good policy keeps serving');
    }
  });

  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  const poll = async (): Promise<void> => {
    if (!remote || closed) return;
    let outcome: BundleLoadOutcome = 'fetch_failed';
    try {
      const got = await fetchBundle({ url: remote.url, etag: remote.etag, maxBytes: options.bundleMaxBytes ?? DEFAULT_BUNDLE_MAX_BYTES, timeoutMs: BUNDLE_FETCH_TIMEOUT_MS });
      if (got.status === 'not-modified') {
        outcome = 'unchanged';
      } else {
        await inTurn(async () => {
          outcome = 'refused';
          const next = await loadState(options, got.bytes);
          if (closed) return;
          const previous = current?.bundleRevision ?? current?.revision;
          current = next;
          remote.bytes = got.bytes;
          remote.etag = got.etag;
          lastError = undefined;
          outcome = 'loaded';
          logger?.info({ bundleRevision: next.bundleRevision, revision: next.revision, previous }, 'policy bundle updated');
        });
      }
    } catch (error) {
      lastError = `${new Date().toISOString()} ${errorText(error)}`;
      // A warning, not an error: the gateway still decides with the last good bundle.
      logger?.warn({ err: errorText(error), outcome, bundleRevision: current?.bundleRevision }, 'policy bundle not taken; the last good bundle keeps serving');
    }
    remote.loads[outcome]++;
    remote.lastCheckAt = new Date().toISOString();
  };
  const schedulePoll = (): void => {
    if (!remote || closed) return;
    pollTimer = setTimeout(() => {
      polling = poll().finally(() => {
        polling = undefined;
        schedulePoll();
      });
    }, options.bundlePollIntervalMs ?? DEFAULT_POLL_MS);
    pollTimer.unref();
  };
  schedulePoll();
  const trigger = (): void => {
    timer = undefined;
    if (closed) return;
    if (reloading) {
      again = true;
      return;
    }
    reloading = reload().finally(() => {
      reloading = undefined;
      if (again && !closed) {
        again = false;
        schedule();
      }
    });
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(trigger, RELOAD_DEBOUNCE_MS);
  };

  if (options.watch) {
    const dirs = options.bundlePath || remote ? [options.configDir] : [options.policiesDir, options.configDir];
    for (const dir of dirs) {
      const watcher = watchFs(resolve(dir), { recursive: true }, () => schedule());
      watcher.on('error', (error) => {
        lastError = `${new Date().toISOString()} watching ${dir} failed: ${errorText(error)}`;
        logger?.error({ err: errorText(error), dir }, 'policy watch failed; reloads stopped');
      });
      watchers.push(watcher);
    }
  }

  const state = (): LoadedState => {
    if (closed || !current) throw new PolicyUnavailableError('no policy is loaded');
    return current;
  };

  return {
    decide(input: DecisionInput): Decision {
      const s = state();
      checkDecisionInput(input);
      // The input is serialised once: it is both the memo key and what the Wasm reads.
      const json = JSON.stringify(input);
      const remembered = s.decisions.get(json);
      if (remembered) return remembered;
      let resultSet: unknown;
      try {
        resultSet = s.policy.evaluate(utf8(json), s.decisionEntrypoint);
      } catch (error) {
        throw new PolicyUnavailableError(`maa/decision failed: ${errorText(error)}`, { cause: error });
      }
      const decision = deepFreeze(readDecision(resultSet));
      // Only unprotected decisions are kept. A protected one parks its call, and a park's input
      // (its new body) is almost never seen again: keeping it only churned the heap (every park's
      // entry survived the young generation, and old-generation pauses followed as the oldest
      // were dropped; docs/operations.md). Its repeat (a retry, a resend with the approval code)
      // pays one evaluation beside a park's or a complete's work.
      if (!decision.protected && memoSize > 0 && json.length <= MAX_MEMO_INPUT_CHARS) {
        // Bounded, oldest first out: a flood of distinct inputs costs memory once, not forever.
        if (s.decisions.size >= memoSize) s.decisions.delete(s.decisions.keys().next().value!);
        s.decisions.set(json, decision);
      }
      return decision;
    },
    authorize(input: AuthorizeInput): AuthorizeResult {
      const s = state();
      checkAuthorizeInput(input);
      let resultSet: unknown;
      try {
        resultSet = s.policy.evaluate(input, s.authorizeEntrypoint);
      } catch (error) {
        throw new PolicyUnavailableError(`maa/authorize failed: ${errorText(error)}`, { cause: error });
      }
      return readAuthorize(resultSet);
    },
    status(): PolicyStatus {
      if (closed || !current) return { ready: false, lastError: lastError ?? 'closed' };
      return {
        ready: true,
        revision: current.revision,
        ...(current.bundleRevision ? { bundleRevision: current.bundleRevision } : {}),
        loadedAt: current.loadedAt,
        ...(lastError ? { lastError } : {}),
        ...(remote ? { bundle: { url: remote.url, ...(remote.etag ? { etag: remote.etag } : {}), ...(remote.lastCheckAt ? { lastCheckAt: remote.lastCheckAt } : {}), loads: { ...remote.loads } } } : {}),
      };
    },
    accessPolicies(): AccessPolicy[] {
      return state().config.accessPolicies.map((p) => ({ ...p, approverGroups: [...p.approverGroups] }));
    },
    auditorGroups(): string[] {
      return [...state().config.roles.auditorGroups];
    },
    roles(): Roles {
      const { roles } = state().config;
      return { ...roles, auditorGroups: [...roles.auditorGroups], breakGlassGroups: [...roles.breakGlassGroups] };
    },
    profileTypes(): ProfileType[] {
      return state().config.profileTypes.map(({ name, description, caseInsensitive, apiVersions, routes, source }) => ({
        name,
        description,
        caseInsensitive,
        apiVersions: [...apiVersions],
        routes: routes.map((r) => ({ ...r })),
        source,
      }));
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      if (pollTimer) clearTimeout(pollTimer);
      await polling;
      for (const w of watchers) w.close();
      await reloading;
      current = undefined;
    },
  };
}

/**
 * The first fetch of a remote bundle: the gateway does not start without it. Its signature is
 * checked by loadState, like every later one.
 */
async function firstRemoteBundle(url: string, options: PolicyEngineOptions): Promise<RemoteBundle> {
  let got;
  try {
    got = await fetchBundle({ url, maxBytes: options.bundleMaxBytes ?? DEFAULT_BUNDLE_MAX_BYTES, timeoutMs: BUNDLE_FETCH_TIMEOUT_MS });
  } catch (error) {
    throw new PolicyUnavailableError(`no policy bundle to start with: ${errorText(error)}`, { cause: error });
  }
  if (got.status !== 'fetched') throw new PolicyUnavailableError(`no policy bundle to start with: ${url} answered 304 to a request without an ETag`);
  return { url, bytes: got.bytes, ...(got.etag ? { etag: got.etag } : {}), loads: { loaded: 0, unchanged: 0, fetch_failed: 0, refused: 0 } };
}

async function loadState(options: PolicyEngineOptions, fetched?: Buffer): Promise<LoadedState> {
  const config = loadPolicyConfig(options.configDir, { upstreamCaseInsensitivePaths: options.upstreamCaseInsensitivePaths ?? true });
  let bytes: Buffer;
  let bundlePath: string;
  if (fetched) {
    bytes = fetched;
    bundlePath = options.bundleUrl ?? 'bundle';
  } else {
    bundlePath = options.bundlePath ?? (await buildBundle({ policiesDir: options.policiesDir, opaBin: options.opaBin, cacheDir: options.cacheDir })).path;
    try {
      bytes = readFileSync(bundlePath);
    } catch (error) {
      throw new PolicyUnavailableError(`cannot read the policy bundle ${bundlePath}: ${errorText(error)}`);
    }
  }
  const bundle = await readChecked(bytes, bundlePath, options.bundleVerification);
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(bundle.wasm, { initial: 5, maximum: MAX_WASM_PAGES });
  } catch (error) {
    throw new PolicyUnavailableError(`${bundlePath}: the Wasm policy does not load: ${errorText(error)}`);
  }
  const entrypoints = policy.entrypoints as Record<string, number>;
  const missing = ENTRYPOINTS.filter((e) => typeof entrypoints[e] !== 'number');
  if (missing.length > 0) throw new PolicyUnavailableError(`${bundlePath}: the bundle lacks the entry point(s) ${missing.join(', ')}`);
  policy.setData({ ...bundle.data, countersign: config.data });
  const state: LoadedState = {
    policy,
    decisionEntrypoint: entrypoints['maa/decision']!,
    authorizeEntrypoint: entrypoints['maa/authorize']!,
    config,
    revision: createHash('sha256').update(bytes).update(config.dataHash).digest('hex').slice(0, 16),
    ...(bundle.revision ? { bundleRevision: bundle.revision } : {}),
    loadedAt: new Date().toISOString(),
    decisions: new Map(),
  };
  selfCheck(state);
  return state;
}

/** A bundle's contents, its signature verified first when a key is configured. */
async function readChecked(bytes: Buffer, name: string, verification: PolicyEngineOptions['bundleVerification']): Promise<BundleContents> {
  if (!verification) return readBundle(bytes, name);
  const files = await unpackBundle(bytes, name);
  await verifyBundleSignature(files, verification.publicKey, verification.alg, name);
  return bundleContents(files, name);
}

/** Both entry points must answer in shape before a policy may serve: a broken one never swaps in. */
function selfCheck(state: LoadedState): void {
  const caller = { userId: 'countersign-self-check', groups: [] };
  try {
    readDecision(state.policy.evaluate({ call: { method: 'GET', path: '/', query: {}, headers: {} }, caller }, state.decisionEntrypoint));
    const request = { id: 'self-check', status: 'needsApproval', requestor: { userId: 'a', groups: [] }, profileType: 'x', operation: 'modify', policies: ['x'], approverGroups: ['x'], requiredApprovals: 1, approvedBy: [] };
    readAuthorize(state.policy.evaluate({ request, actor: caller, action: 'view' }, state.authorizeEntrypoint));
  } catch (error) {
    throw new PolicyUnavailableError(`the policy fails its self-check: ${errorText(error)}`, { cause: error });
  }
}

const encoder = new TextEncoder();

/** JSON text as the ArrayBuffer opa-wasm reads as already-serialised input. */
function utf8(json: string): ArrayBuffer {
  const bytes = encoder.encode(json);
  return bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

/** Remembered decisions are shared between callers, so none of them may change one. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isCaller(value: unknown): boolean {
  const c = value as { userId?: unknown; groups?: unknown } | null;
  return !!c && typeof c.userId === 'string' && Array.isArray(c.groups) && c.groups.every((g) => typeof g === 'string');
}

function checkDecisionInput(input: DecisionInput): void {
  const call = input?.call;
  if (!call || typeof call.method !== 'string' || typeof call.path !== 'string' || !call.path.startsWith('/') || !isCaller(input.caller)) {
    throw new PolicyUnavailableError('decision input is malformed: it needs call.method, call.path and caller {userId, groups}');
  }
}

function checkAuthorizeInput(input: AuthorizeInput): void {
  if (!input?.request || !isCaller(input.request.requestor) || !isCaller(input.actor) || typeof input.action !== 'string') {
    throw new PolicyUnavailableError('authorize input is malformed: it needs request.requestor, actor {userId, groups} and action');
  }
}
