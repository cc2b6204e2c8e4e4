/**
 * The approval request store in Redis (node-redis). Every transition is one Lua script
 * (src/requests/scripts/*.lua) that checks the "from" state, makes the change, moves the
 * request in every index and appends the audit event, atomically. This file only prepares
 * arguments, runs the script and turns its answer into a request or a TransitionError.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { readAudit } from './audit-stream';
import { ChainGuess, CHAIN_VERSION, contentHash, requestSha256 } from './audit-chain';
import { exportAudit, readChainState, trimAudit, verifyStoredChain, type AuditChainState, type AuditVerification } from './audit-chain-store';
import { buildEvidence, type EvidenceFile } from './evidence';
import { AuditFeed, type AuditListener, type AuditWatch, type BlockingClient } from './audit-feed';
import { LIMITS, REQUEST_ID_PATTERN } from '../limits';
import { decodeRequest, pairsToRecord } from './codec';
import { scriptError, ScriptErrorCode, StoreInputError, TransitionError } from './errors';
import { requestKeys, type RequestKeys } from './keys';
import { decodeCursor, encodeCursor, unionPage, type Position } from './list-paging';
import { checkListFilter, matchesFilter, type CheckedFilter } from './list-filter';
import type { Deadline } from './deadline';
import { RedisConnection, type Durability, type ScriptName } from './redis-connection';
import { createStoreClient, type RedisTopology } from './redis-topology';
import { isRequestStatus, REQUEST_STATUSES, TERMINAL_STATUSES } from './statuses';
import { checkBreakGlassReason, checkGroups, checkLeaseMs, checkNewRequest, checkNotes, checkOutcome, checkUserId } from './validate';
import type { Caller } from '../policy/types';
import type {
  ApprovalRequest,
  AuditEvent,
  HistoryEntry,
  ListPage,
  ListQuery,
  NewRequest,
  ReplayOutcome,
  RequestStatus,
  RequestStore,
} from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Who the audit stream names for expiries. */
export const SWEEPER_ACTOR = 'countersign:expiry';
const SWEEP_BATCH = 100;
/** Requests one round of a filtered list reads (list-filter.ts); LIMITS.listFilter.scan bounds the rounds. */
const FILTER_BATCH = 100;

export interface RequestStoreOptions {
  /** A single Redis; or `topology` for Sentinel or Cluster (src/requests/redis-topology.ts). */
  url?: string;
  topology?: RedisTopology;
  /**
   * Replicas that must have each transition before it is acknowledged (WAIT); default none.
   * docs/operations.md says what survives what with and without it.
   */
  durability?: Durability;
  /** Hash tag of every key, `maa:{<deployment>}:…`; default 'default'. */
  deployment?: string;
  /** Defaults: 30 days each; audit entries are kept 365 days. */
  retention?: { openMs?: number; approvedMs?: number; endedMs?: number; auditMs?: number };
  logger?: Logger;
  /**
   * The deadline of one store call, all its Redis commands together: past it the call rejects
   * with StoreUnavailableError (503), whatever Redis does; default 2000. The only store timeout.
   */
  callTimeoutMs?: number;
  /** How long createRequestStore waits for the first connection before returning a store that is not ready yet; default 2000. */
  connectWaitMs?: number;
}

interface Now {
  ms: number;
  iso: string;
}

function clock(now: Date | undefined): Now {
  const date = now ?? new Date();
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new StoreInputError('now is not a valid time');
  return { ms, iso: date.toISOString() };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A replay claim's lease end and its secret token: complete, break-glass and the scheduler claim alike. */
function newClaim(nowMs: number, leaseMs: number): { leaseUntil: Date; claimToken: string } {
  return { leaseUntil: new Date(nowMs + leaseMs), claimToken: randomBytes(18).toString('base64url') };
}

/**
 * The approver of a verdict: a user id, or a caller whose groups the scripts need for a staged
 * request's current stage. A bare id has no groups, so it can never act in a stage.
 */
function verdictActor(actor: string | Caller): { userId: string; groups: string } {
  if (typeof actor === 'string') return { userId: checkUserId(actor), groups: '[]' };
  const userId = checkUserId(actor?.userId);
  return { userId, groups: JSON.stringify([...new Set(checkGroups(actor.groups ?? [], 'actor.groups', LIMITS.callerGroups, true))]) };
}

function retentionMs(value: number | undefined, fallback: number, name: string): number {
  const ms = value ?? fallback;
  if (!Number.isInteger(ms) || ms < 1) throw new TypeError(`retention.${name} must be a positive integer of milliseconds, e.g. ${30 * DAY_MS}`);
  return ms;
}

class RedisRequestStore implements RequestStore {
  private readonly retention: { openMs: number; approvedMs: number; endedMs: number; auditMs: number };
  private feed?: AuditFeed;
  private readonly chainGuess = new ChainGuess();

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RequestKeys,
    options: RequestStoreOptions,
    private readonly logger?: Logger,
  ) {
    const r = options.retention ?? {};
    this.retention = {
      openMs: retentionMs(r.openMs, 30 * DAY_MS, 'openMs'),
      approvedMs: retentionMs(r.approvedMs, 30 * DAY_MS, 'approvedMs'),
      endedMs: retentionMs(r.endedMs, 30 * DAY_MS, 'endedMs'),
      auditMs: retentionMs(r.auditMs, 365 * DAY_MS, 'auditMs'),
    };
  }

  /** Loads the scripts when Redis is there; otherwise EVALSHA's NOSCRIPT path loads them later. */
  async warmUp(): Promise<void> {
    if (!this.connection.isReady) return;
    try {
      await this.connection.loadScripts(Object.values(this.connection.scripts));
    } catch (error) {
      this.logger?.warn({ error: (error as Error).message }, 'could not preload request scripts');
    }
  }

  /**
   * One transition: one script, under the call's one deadline, then (with `durability`) the WAIT
   * that its change reached the replicas. Every transition a caller is told about waits: a lost
   * park would lose a 202'd request, a lost claim could let a second complete replay the call,
   * a lost outcome would turn a done replay back into an approved one. A refused transition
   * changed nothing, so it does not wait; it becomes a TransitionError. Returns the script's
   * answer after its code.
   */
  private async runTransition(name: ScriptName, id: string, keys: string[], args: Array<string | Buffer>): Promise<unknown[]> {
    const script = this.connection.scripts[name];
    const reply = await this.connection.within(async (deadline) => {
      const primary = this.connection.primaryIdentity();
      const answer = await this.connection.runScript<[number, unknown]>(name, keys, args, deadline);
      if (Number(answer[0]) > 0) await this.connection.confirmReplicated(deadline, primary);
      return answer;
    });
    const code = Number(reply[0]);
    if (code < 0) throw scriptError(script.name, code, id, String(reply[1] ?? ''));
    return (reply as unknown[]).slice(1);
  }

  /** A transition whose script answers the request hash as it left it (HGETALL). */
  private async transition(name: ScriptName, id: string, keys: string[], args: Array<string | Buffer>): Promise<ApprovalRequest> {
    const [pairs] = await this.runTransition(name, id, keys, args);
    const request = decodeRequest(pairsToRecord(pairs));
    if (!request) throw new Error(`${this.connection.scripts[name].name}: returned no request`);
    return request;
  }

  private checkId(id: unknown): string {
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) {
      throw new TransitionError('REQUEST_NOT_FOUND', 'no such request', String(id).slice(0, 64));
    }
    return id;
  }

  async create(request: NewRequest, now?: Date): Promise<ApprovalRequest> {
    checkNewRequest(request);
    const t = clock(now);
    const id = randomUUID();
    const k = this.keys;
    const { requestor, decision } = request;
    // The stored strings exactly, so the create audit event can pin them (audit-chain.ts).
    const stored = {
      requestor: JSON.stringify({ userId: requestor.userId, groups: requestor.groups }),
      justification: request.justification,
      call: JSON.stringify(request.call),
      decision: JSON.stringify(decision),
    };
    const pinned = requestSha256(stored);
    // The create event's every field is known here, so its contentHash is computed here (node's
    // SHA-256 takes ~2 µs; Lua's took ~110 µs of Redis's one thread): the script at most links it.
    const eventContent = contentHash({ at: t.iso, requestId: id, actor: requestor.userId, action: 'create', from: null, to: 'needsApproval', requestSha256: pinned, chainVersion: CHAIN_VERSION });
    const snapshotRecord = request.snapshot ? JSON.stringify(request.snapshot.record) : '';
    // Its link too, when the chain's head is known (ChainGuess): the script checks the guess.
    const link = this.chainGuess.next(eventContent);
    const created = this.runTransition('create', id, [k.request(id), k.body(id), k.locks, k.audit, k.prefix], [
      id,
      String(t.ms),
      t.iso,
      requestor.userId,
      stored.requestor,
      stored.justification,
      stored.call,
      stored.decision,
      decision.objectKey,
      String(decision.requiredApprovals),
      JSON.stringify([...new Set(decision.approverGroups)]),
      request.body,
      request.approvalCodeSha256 ?? '',
      pinned,
      snapshotRecord,
      request.snapshot?.bytes ?? '',
      Buffer.from(eventContent, 'hex'),
      link?.prev ?? '',
      link?.raw ?? '',
    ]);
    const [history, head] = await created.catch((error: unknown) => {
      this.chainGuess.settled(link, undefined);
      throw error;
    });
    this.chainGuess.settled(link, typeof head === 'string' ? head : undefined);
    // The script answers only the history line it wrote: every other field it stored is an argument
    // above, so the request is built from those rather than sent back (a park's largest reply) or
    // parsed again from the JSON just written. They are the objects create was given, which the
    // park builds from JSON values (the policy's answer, strings and numbers), so they are what
    // get() will read; test/requests/transitions.redis.test.ts holds the two together.
    return {
      id,
      status: 'needsApproval',
      createdAt: t.iso,
      updatedAt: t.iso,
      requestor: { userId: requestor.userId, groups: requestor.groups },
      justification: stored.justification,
      call: request.call,
      decision,
      approvals: [],
      history: [JSON.parse(String(history)) as HistoryEntry],
      requestSha256: pinned,
      ...(request.approvalCodeSha256 ? { approvalCodeSha256: request.approvalCodeSha256 } : {}),
      ...(request.snapshot ? { snapshot: request.snapshot.record } : {}),
    };
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return null;
    return decodeRequest(pairsToRecord(await this.connection.send<unknown>(['HGETALL', this.keys.request(id)])));
  }

  async getBody(id: string): Promise<Buffer | null> {
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return null;
    return this.connection.send<Buffer | null>(['GET', this.keys.body(id)], { buffers: true });
  }

  async getSnapshot(id: string): Promise<Buffer | null> {
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return null;
    return this.connection.send<Buffer | null>(['GET', this.keys.snapshot(id)], { buffers: true });
  }

  async approve(id: string, actor: string | Caller, notes: string, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    const who = verdictActor(actor);
    checkNotes(notes);
    const t = clock(now);
    const k = this.keys;
    return this.transition('approve', id, [k.request(id), k.audit, k.prefix], [id, String(t.ms), t.iso, who.userId, notes, sha256(notes), who.groups]);
  }

  async reject(id: string, actor: string | Caller, notes: string, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    const who = verdictActor(actor);
    checkNotes(notes);
    const t = clock(now);
    const k = this.keys;
    return this.transition('reject', id, [k.request(id), k.locks, k.audit, k.prefix], [id, String(t.ms), t.iso, who.userId, notes, sha256(notes), who.groups]);
  }

  async cancel(id: string, actor: string, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    checkUserId(actor);
    const t = clock(now);
    const k = this.keys;
    return this.transition('cancel', id, [k.request(id), k.locks, k.audit, k.prefix], [id, String(t.ms), t.iso, actor]);
  }

  async beginComplete(
    id: string,
    actor: string,
    leaseMs: number,
    now?: Date,
    options?: { resendAfterUnknownOutcome?: boolean },
  ): Promise<{ request: ApprovalRequest; claimToken: string }> {
    this.checkId(id);
    checkUserId(actor);
    checkLeaseMs(leaseMs);
    const t = clock(now);
    const { leaseUntil, claimToken } = newClaim(t.ms, leaseMs);
    const k = this.keys;
    const request = await this.transition('beginComplete', id, [k.request(id), k.audit, k.prefix], [
      id,
      String(t.ms),
      t.iso,
      actor,
      String(leaseUntil.getTime()),
      leaseUntil.toISOString(),
      options?.resendAfterUnknownOutcome === true ? '1' : '0',
      claimToken,
    ]);
    return { request, claimToken };
  }

  async finishComplete(id: string, claimToken: string, outcome: ReplayOutcome, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    if (typeof claimToken !== 'string' || claimToken.length === 0 || claimToken.length > 128) {
      throw new TransitionError('CLAIM_LOST', 'finish-complete: the claim token is not valid', id);
    }
    const o = checkOutcome(outcome);
    const t = clock(now);
    const k = this.keys;
    return this.transition('finishComplete', id, [k.request(id), k.locks, k.audit, k.prefix], [
      id,
      String(t.ms),
      t.iso,
      claimToken,
      o.kind,
      String(o.status),
      o.preview,
      o.reason,
    ]);
  }

  async breakGlass(id: string, actor: string, reason: string, leaseMs: number, now?: Date): Promise<{ request: ApprovalRequest; claimToken: string }> {
    this.checkId(id);
    checkUserId(actor);
    checkBreakGlassReason(reason);
    checkLeaseMs(leaseMs);
    const t = clock(now);
    const { leaseUntil, claimToken } = newClaim(t.ms, leaseMs);
    const k = this.keys;
    const request = await this.transition('breakGlass', id, [k.request(id), k.audit, k.prefix], [
      id,
      String(t.ms),
      t.iso,
      actor,
      reason,
      sha256(reason),
      String(leaseUntil.getTime()),
      leaseUntil.toISOString(),
      claimToken,
    ]);
    return { request, claimToken };
  }

  async review(id: string, actor: string, notes: string, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    checkUserId(actor);
    checkNotes(notes);
    const t = clock(now);
    const k = this.keys;
    return this.transition('review', id, [k.request(id), k.audit, k.prefix], [id, String(t.ms), t.iso, actor, notes, sha256(notes)]);
  }

  async listBreakGlass(query: { reviewed: boolean; limit?: number }): Promise<ApprovalRequest[]> {
    const limit = query.limit ?? LIMITS.listPage.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listPage.max) throw new StoreInputError(`limit must be an integer from 1 to ${LIMITS.listPage.max}`);
    const key = this.keys.breakGlass(query.reviewed ? 'reviewed' : 'unreviewed');
    return this.connection.within(async (deadline) => {
      const ids = await this.connection.send<string[]>(['ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(limit)], { deadline });
      const hashes = await Promise.all(ids.map((id) => this.connection.send<unknown>(['HGETALL', this.keys.request(id)], { deadline })));
      return hashes.map((hash) => decodeRequest(pairsToRecord(hash))).filter((r): r is ApprovalRequest => r !== null);
    });
  }

  async countUnreviewed(): Promise<number> {
    return this.connection.within((deadline) => this.connection.send<number>(['ZCARD', this.keys.breakGlass('unreviewed')], { deadline }));
  }

  async schedule(id: string, actor: string, at: Date, now?: Date): Promise<ApprovalRequest> {
    this.checkId(id);
    checkUserId(actor);
    const when = clock(at);
    const t = clock(now);
    const k = this.keys;
    return this.transition('schedule', id, [k.request(id), k.audit, k.prefix], [id, String(t.ms), t.iso, actor, String(when.ms), when.iso]);
  }

  async unschedule(id: string, actor: string, now?: Date, bySystem = false): Promise<ApprovalRequest> {
    this.checkId(id);
    checkUserId(actor);
    const t = clock(now);
    const k = this.keys;
    return this.transition('unschedule', id, [k.request(id), k.audit, k.prefix], [id, String(t.ms), t.iso, actor, bySystem ? '1' : '0']);
  }

  async dueScheduled(now: Date, limit: number): Promise<string[]> {
    const t = clock(now);
    return this.connection.within((deadline) =>
      this.connection.send<string[]>(['ZRANGE', this.keys.scheduled, '-inf', String(t.ms), 'BYSCORE', 'LIMIT', '0', String(limit)], { deadline }),
    );
  }

  async claimScheduled(id: string, actor: string, leaseMs: number, now?: Date): Promise<{ request: ApprovalRequest; claimToken: string }> {
    this.checkId(id);
    checkUserId(actor);
    checkLeaseMs(leaseMs);
    const t = clock(now);
    const { leaseUntil, claimToken } = newClaim(t.ms, leaseMs);
    const k = this.keys;
    const request = await this.transition('claimScheduled', id, [k.request(id), k.audit, k.prefix], [
      id,
      String(t.ms),
      t.iso,
      actor,
      String(leaseUntil.getTime()),
      leaseUntil.toISOString(),
      claimToken,
    ]);
    return { request, claimToken };
  }

  async sweep(now?: Date): Promise<{ expired: number; removed: number }> {
    const t = clock(now);
    const k = this.keys;
    const openCutoff = t.ms - this.retention.openMs;
    const approvedCutoff = t.ms - this.retention.approvedMs;
    const endedCutoff = t.ms - this.retention.endedMs;

    const expireArgs = (id: string) => [id, String(t.ms), t.iso, String(openCutoff), String(approvedCutoff), SWEEPER_ACTOR];
    let expired = 0;
    expired += await this.sweepIndex('needsApproval', openCutoff, (id, deadline) =>
      this.connection.runScript('expire', [k.request(id), k.locks, k.audit, k.prefix], expireArgs(id), deadline),
    );
    expired += await this.sweepIndex('approved', approvedCutoff, (id, deadline) =>
      this.connection.runScript('expire', [k.request(id), k.locks, k.audit, k.prefix], expireArgs(id), deadline),
    );
    // Requests whose access policy sets its own expiry may be due before the cutoffs above.
    expired += await this.sweepIndex(
      'expiry',
      t.ms,
      (id, deadline) => this.connection.runScript('expire', [k.request(id), k.locks, k.audit, k.prefix], expireArgs(id), deadline),
      // An entry whose request has ended (it was approved, rejected, canceled…) is not due any more.
      ScriptErrorCode.InvalidState,
    );
    let removed = 0;
    for (const status of TERMINAL_STATUSES) {
      removed += await this.sweepIndex(status, endedCutoff, (id, deadline) =>
        this.connection.runScript('remove', [k.request(id), k.body(id), k.locks, k.prefix], [id, String(endedCutoff)], deadline),
      );
    }
    // Audit events older than their retention go too, verified first, leaving a checkpoint.
    await trimAudit(this.connection, k, t.ms - this.retention.auditMs, t.iso, this.logger);
    if (expired || removed) this.logger?.info({ expired, removed }, 'request sweep');
    return { expired, removed };
  }

  /**
   * Runs `step` on every request whose status has been `status` since at or before `cutoff`; returns
   * how many succeeded. The sweep is a background loop of independent atomic steps with no caller
   * waiting on it, so its deadline is per batch: each wait is bounded, a long backlog is not cut short.
   */
  private async sweepIndex(
    index: RequestStatus | 'expiry',
    cutoff: number,
    step: (id: string, deadline: Deadline) => Promise<unknown>,
    alsoDropOn?: ScriptErrorCode,
  ): Promise<number> {
    const key = index === 'expiry' ? this.keys.expiry : this.keys.statusSince(index);
    let done = 0;
    let skipped = 0;
    for (;;) {
      const batch = await this.connection.within(async (deadline) => {
        const ids = await this.connection.send<string[]>(['ZRANGE', key, '-inf', String(cutoff), 'BYSCORE', 'LIMIT', String(skipped), String(SWEEP_BATCH)], { deadline });
        for (const id of ids) {
          const reply = (await step(id, deadline)) as [number, unknown];
          const code = Number(reply[0]);
          if (code > 0) done++;
          else if (code === ScriptErrorCode.RequestNotFound || code === alsoDropOn) await this.connection.send(['ZREM', key, id], { deadline });
          // A live claim, or a request that moved since the read: leave it for a later sweep.
          else skipped++;
        }
        return ids.length;
      });
      if (batch < SWEEP_BATCH) return done;
    }
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit ?? LIMITS.listPage.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listPage.max) throw new StoreInputError(`limit must be an integer from 1 to ${LIMITS.listPage.max}`);
    if (query.status !== undefined && !isRequestStatus(query.status)) throw new StoreInputError(`status must be one of ${REQUEST_STATUSES.join(', ')}`);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const status = query.status;
    const k = this.keys;
    let keys: string[];
    switch (query.view) {
      case 'mine': {
        const userId = checkUserId(query.viewer?.userId, 'viewer.userId');
        keys = [status ? k.byRequestorStatus(userId, status) : k.byRequestor(userId)];
        break;
      }
      case 'received': {
        // Identity bounds a caller's groups with the same limit, so a caller it accepted is never refused here.
        const groups = [...new Set(checkGroups(query.viewer?.groups ?? [], 'viewer.groups', LIMITS.callerGroups, true))];
        keys = groups.map((g) => (status ? k.byGroupStatus(g, status) : k.byGroup(g)));
        break;
      }
      case 'all':
        keys = [status ? k.byStatus(status) : k.all];
        break;
      default:
        throw new StoreInputError('view must be mine, received or all');
    }
    if (keys.length === 0) return { items: [], total: 0, totalExact: true };
    const filter = checkListFilter(query.filter);
    if (filter) return this.connection.within((deadline) => this.filteredList(keys, status, filter, after, limit, deadline));

    return this.connection.within(async (deadline) => {
      const [positions, count] = await Promise.all([unionPage(this.connection, keys, after, limit + 1, deadline), this.countIndex(keys, deadline)]);
      const page = positions.slice(0, limit);
      const hashes = await Promise.all(page.map((p) => this.connection.send<unknown>(['HGETALL', k.request(p.id)], { deadline })));
      const items: ApprovalRequest[] = [];
      for (const hash of hashes) {
        const request = decodeRequest(pairsToRecord(hash));
        // Gone (removed) or moved to another status since the index was read: not part of this page.
        if (request && (!status || request.status === status)) items.push(request);
      }
      const last = page[page.length - 1];
      return positions.length > limit && last ? { items, nextCursor: encodeCursor(last), ...count } : { items, ...count };
    });
  }

  /**
   * How many requests the index keys hold together. One key (or one that is not empty) is a ZCARD; the
   * union of several group indices is counted up to LIMITS.listFilter.scan, since a request sits in
   * every group index it belongs to and only reading the members tells them apart.
   */
  private async countIndex(keys: string[], deadline: Deadline): Promise<{ total: number; totalExact: boolean }> {
    const cards = await Promise.all(keys.map((key) => this.connection.send<number>(['ZCARD', key], { deadline })));
    const filled = keys.filter((_key, i) => Number(cards[i]) > 0);
    if (filled.length <= 1) return { total: cards.reduce((sum, n) => sum + Number(n), 0), totalExact: true };
    const max = LIMITS.listFilter.scan;
    const union = await unionPage(this.connection, filled, undefined, max + 1, deadline);
    return { total: Math.min(union.length, max), totalExact: union.length <= max };
  }

  /**
   * A filtered page and its total: the candidates of the index keys, most recently changed first, are
   * read and filtered, at most LIMITS.listFilter.scan of them for the page (from the cursor) and as
   * many for the total (from the top). A scan that stops at its bound before the page is full still
   * gives a cursor, at the last request it read, so paging goes on where it stopped.
   */
  private async filteredList(
    keys: string[],
    status: RequestStatus | undefined,
    filter: CheckedFilter,
    after: Position | undefined,
    limit: number,
    deadline: Deadline,
  ): Promise<ListPage> {
    const [page, count] = await Promise.all([
      this.scanFiltered(keys, status, filter, after, limit + 1, deadline),
      this.scanFiltered(keys, status, filter, undefined, Infinity, deadline),
    ]);
    const items = page.matches.slice(0, limit);
    const total = { total: count.matches.length, totalExact: count.exhausted };
    if (page.matches.length > limit) return { items: items.map((m) => m.request), nextCursor: encodeCursor(items[items.length - 1]!.position), ...total };
    if (!page.exhausted && page.lastRead) return { items: items.map((m) => m.request), nextCursor: encodeCursor(page.lastRead), ...total };
    return { items: items.map((m) => m.request), ...total };
  }

  /** Reads candidates after `after` until `want` match, the index ends (exhausted) or LIMITS.listFilter.scan were read. */
  private async scanFiltered(
    keys: string[],
    status: RequestStatus | undefined,
    filter: CheckedFilter,
    after: Position | undefined,
    want: number,
    deadline: Deadline,
  ): Promise<{ matches: { position: Position; request: ApprovalRequest }[]; exhausted: boolean; lastRead?: Position }> {
    const matches: { position: Position; request: ApprovalRequest }[] = [];
    let lastRead = after;
    let read = 0;
    while (read < LIMITS.listFilter.scan) {
      const asked = Math.min(FILTER_BATCH, LIMITS.listFilter.scan - read);
      const batch = await unionPage(this.connection, keys, lastRead, asked, deadline);
      const hashes = await Promise.all(batch.map((p) => this.connection.send<unknown>(['HGETALL', this.keys.request(p.id)], { deadline })));
      for (let i = 0; i < batch.length; i++) {
        const position = batch[i]!;
        // Scores are updatedAt, never before createdAt: past `createdFrom`, nothing older can match.
        if (filter.fromMs !== undefined && position.score < filter.fromMs) return { matches, exhausted: true, lastRead };
        read++;
        lastRead = position;
        const request = decodeRequest(pairsToRecord(hashes[i]));
        if (request && (!status || request.status === status) && matchesFilter(request, filter)) {
          matches.push({ position, request });
          if (matches.length >= want) return { matches, exhausted: false, lastRead };
        }
      }
      if (batch.length < asked) return { matches, exhausted: true, lastRead };
    }
    return { matches, exhausted: false, lastRead };
  }

  async audit(query: { requestId?: string; since?: string; limit?: number; order?: 'asc' | 'desc' }): Promise<AuditEvent[]> {
    // readAudit (audit-stream.ts) sends its own commands, each with a deadline; this bounds the whole call.
    return this.connection.within(() => readAudit(this.connection, this.keys.audit, query ?? {}));
  }

  async auditChain(): Promise<AuditChainState> {
    return readChainState(this.connection, this.keys);
  }

  async exportAudit(query: { after?: string; limit: number }): Promise<{ items: AuditEvent[]; cursor?: string }> {
    return exportAudit(this.connection, this.keys, query);
  }

  async verifyAudit(): Promise<AuditVerification> {
    return verifyStoredChain(this.connection, this.keys);
  }

  async trimAudit(before: Date, now?: Date): Promise<{ trimmed: number; refused?: string }> {
    return trimAudit(this.connection, this.keys, clock(before).ms, clock(now).iso, this.logger);
  }

  async evidence(id: string, exportedBy: string, now?: Date): Promise<EvidenceFile | null> {
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return null;
    return buildEvidence(this.connection, this.keys, id, exportedBy, now);
  }

  async acquireLease(job: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.lease(checkLeaseName(job));
    const reply = await this.connection.send<string | null>(['SET', key, checkLeaseHolder(holder), 'NX', 'PX', String(checkLeaseMs(ttlMs))]);
    return reply === 'OK';
  }

  async renewLease(job: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.lease(checkLeaseName(job));
    return Number(await this.connection.runScript<number>('renewLease', [key], [checkLeaseHolder(holder), String(checkLeaseMs(ttlMs))])) === 1;
  }

  async releaseLease(job: string, holder: string): Promise<boolean> {
    const key = this.keys.lease(checkLeaseName(job));
    return Number(await this.connection.runScript<number>('releaseLease', [key], [checkLeaseHolder(holder)])) === 1;
  }

  private blockingClient(): BlockingClient {
    const client = createStoreClient(this.connection.topology, this.connection.scripts, this.keys.prefix, this.logger);
    return {
      connect: () => client.connect(),
      sendCommand: (args) => client.sendCommand(args, {}),
      destroy: () => client.destroy(),
      on: (event, listener) => client.on(event, listener),
    };
  }

  watchAudit(listener: AuditListener): AuditWatch {
    // Created at the first listener: a gateway nobody watches holds no blocking connection.
    // The reader blocks in XREAD, so it gets a client of its own, on the same topology as the store's.
    this.feed ??= new AuditFeed(() => this.blockingClient(), this.keys.audit, this.logger);
    return this.feed.listen(listener);
  }

  async ping(): Promise<boolean> {
    if (!this.connection.isReady) return false;
    try {
      return (await this.connection.send<string>(['PING'])) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.feed?.close();
    await this.connection.close();
  }
}

/** A background job's name becomes part of a key: short, lower case, no separators of its own. */
const LEASE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** A holder token names the process (host:pid:random); bounded so a key's value stays small. */
const LEASE_HOLDER_PATTERN = /^[\x21-\x7e]{1,200}$/;

function checkLeaseName(job: string): string {
  if (typeof job !== 'string' || !LEASE_NAME_PATTERN.test(job)) throw new StoreInputError(`lease name must match ${LEASE_NAME_PATTERN}, e.g. "sweeper"; got ${JSON.stringify(String(job).slice(0, 40))}`);
  return job;
}

function checkLeaseHolder(holder: string): string {
  if (typeof holder !== 'string' || !LEASE_HOLDER_PATTERN.test(holder)) throw new StoreInputError('lease holder must be 1 to 200 printable ASCII characters without spaces, e.g. "host:1234:9f3a"');
  return holder;
}

/**
 * Connects to Redis and returns the store. Waits briefly for the first connection; when Redis
 * is not there the store is returned anyway, its commands fail with StoreUnavailableError and
 * the client keeps reconnecting, so the gateway can start and report it on /readyz.
 * @example
 * const store = await createRequestStore({ url: 'redis://127.0.0.1:6379', deployment: 'default' });
 */
export async function createRequestStore(options: RequestStoreOptions): Promise<RequestStore> {
  const keys = requestKeys(options.deployment ?? 'default');
  const connection = new RedisConnection({
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.topology ? { topology: options.topology } : {}),
    ...(options.durability ? { durability: options.durability } : {}),
    routingKey: keys.prefix,
    logger: options.logger,
    callTimeoutMs: options.callTimeoutMs,
  });
  const store = new RedisRequestStore(connection, keys, options, options.logger);
  await connection.connect(options.connectWaitMs ?? 2000);
  await store.warmUp();
  return store;
}
