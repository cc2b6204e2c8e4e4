/**
 * The approval API (`/maa/v1`, docs/api.md): list, show, diff, approve, reject, cancel, complete,
 * the audit trail, the access policies and who am I. Every action is checked in the same order:
 *
 *   exists and visible to the caller (else 404) ─► the status allows the action (else 409 with it)
 *   ─► the policy allows it (else 403 with its reasons) ─► the store's atomic transition
 *      (a lost race still answers 409 with the current status)
 *
 * The status is checked before the policy so that everyone who loses a race is told 409, whatever
 * the policy would say about a request that has moved on.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Replay } from '../gateway/replay';
import type { GatewayMetrics } from '../gateway/metrics';
import type { Identity } from '../identity/types';
import type { Caller, PolicyEngine } from '../policy/types';
import type { ApprovalRequest, ListView, RequestStatus, RequestStore } from '../requests/types';
import { callerOf, requireCaller } from './auth';
import { ApiError, apiErrorFrom } from '../errors';
import { openApiDocumentFor } from './openapi';
import { canView, policyVerdict, requestResource, stageRefusal, statusRefusal, type ActAction, type OpenRetention } from './request-resource';
import { checkInput } from './validate';
import type { EventStreams } from './event-streams';
import type { ListFilter } from '../requests/list-filter';
import { canonicalUserId } from '../identity/user-id';
import { charCount } from '../limits';
import { outsideChangeWindow } from '../gateway/change-window-gate';
import { changeDiff } from '../gateway/change-diff';

export interface ApiRouterDeps {
  prefix: string;
  policy: PolicyEngine;
  store: RequestStore;
  identity: Identity;
  /** The gateway's one replay function (src/gateway/replay.ts). */
  replay: Replay;
  metrics: GatewayMetrics;
  logger: Logger;
  /**
   * requests.retentionMs / approvedRetentionMs, for each open request's `expiresAt` (a policy's
   * expiresAfter / approvedExpiresAfter overrides them); a replay may not be scheduled past it.
   */
  retention: OpenRetention;
  /** `GET /events`'s live streams (event-streams.ts); the gateway ends them when it drains. */
  events: EventStreams;
}

/** JSON bodies of the API are small: notes of 1,000 characters fit many times over. */
const JSON_LIMIT = '16kb';

type Handler = (req: Request, res: Response) => Promise<void>;

/** When the request last became approved (ms): an approved request expires its approvedExpiresAfter (or approvedRetentionMs) after it. */
function approvedSince(request: ApprovalRequest): number {
  const entry = [...request.history].reverse().find((h) => h.to === 'approved' && h.from !== 'approved');
  return Date.parse(entry?.at ?? request.updatedAt);
}

/** Wraps an async handler so its errors reach the error handler. */
function route(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    handler(req, res).catch(next);
  };
}

/**
 * Creates the Express router of the approval API, to mount at `deps.prefix`.
 * @example app.use('/maa/v1', createApiRouter({ prefix: '/maa/v1', policy, store, identity, replay, metrics, logger }));
 */
export function createApiRouter(deps: ApiRouterDeps): Router {
  const { policy, store, identity, replay, metrics } = deps;
  const router = Router({ caseSensitive: true, strict: false });
  /** The answer to a failed store, replay or policy call (src/errors.ts); a bug is logged, name and message only. */
  const storeError = (error: unknown): ApiError => {
    const refusal = apiErrorFrom(error);
    if (refusal.code === 'INTERNAL' && !(error instanceof ApiError)) {
      deps.logger.error({ err: { name: (error as Error)?.name, message: (error as Error)?.message } }, 'unexpected error');
    }
    return refusal;
  };
  const openApi = JSON.stringify(openApiDocumentFor(deps.prefix));
  // Asked of the policy each time, so a reload of config/roles.yaml applies here as in the Rego.
  const isAuditor = (caller: Caller): boolean => {
    const auditors = policy.auditorGroups();
    return caller.groups.some((group) => auditors.includes(group));
  };

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });

  router.use(requireCaller(identity));
  router.use(express.json({ limit: JSON_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));

  /** Loads a request the caller may see (its id already checked); 404 otherwise, so ids of others' requests reveal nothing. */
  async function visibleRequest(id: string, caller: Caller): Promise<ApprovalRequest> {
    const request = await store.get(id).catch((error: unknown) => {
      throw storeError(error);
    });
    if (request === null || !canView(policy, request, caller)) throw new ApiError('REQUEST_NOT_FOUND', { requestId: id });
    return request;
  }

  /** The checks every action shares, in the order of the header comment. */
  function checkAction(request: ApprovalRequest, caller: Caller, action: ActAction): void {
    const wrongStatus = statusRefusal(request, action);
    if (wrongStatus) throw new ApiError('INVALID_STATE', { requestId: request.id, status: request.status }, `cannot ${action}: ${wrongStatus}`);
    // The replay claim is not checked here: the store's atomic step answers COMPLETE_IN_PROGRESS or OUTCOME_UNKNOWN.
    const notNow = stageRefusal(request, caller, action);
    if (notNow) throw new ApiError('NOT_CURRENT_STAGE', { requestId: request.id, status: request.status }, notNow);
    const allowed = policyVerdict(policy, request, caller, action);
    if (!allowed.allow) throw new ApiError('FORBIDDEN', { requestId: request.id, reasons: allowed.reasons }, `you may not ${action} this request: ${allowed.reasons.join('; ') || 'the policy does not allow it'}`);
  }

  router.get(
    '/me',
    route(async (req, res) => {
      checkInput('getMe', req);
      const caller = callerOf(res);
      res.json({ userId: caller.userId, groups: caller.groups, auditor: isAuditor(caller) });
    }),
  );

  router.get(
    '/requests',
    route(async (req, res) => {
      const caller = callerOf(res);
      // The document's schema checks every parameter and fills in the defaults (view=mine, limit=25).
      const q = checkInput('listRequests', req).query as { view: ListView; status?: RequestStatus; limit: number; cursor?: string } & Record<keyof ListFilter | 'q', string | undefined>;
      const view = q.view;
      if (view === 'all' && !isAuditor(caller)) throw new ApiError('FORBIDDEN', { reasons: ['only auditors may list all requests'] });
      // Requestors are stored by canonical id (invariant 9): `Alice ` finds alice's requests.
      const filter: ListFilter = {
        ...(q.profileType ? { profileType: q.profileType } : {}),
        ...(q.requestor ? { requestor: canonicalUserId(q.requestor) } : {}),
        ...(q.q ? { text: q.q } : {}),
        ...(q.createdFrom ? { createdFrom: q.createdFrom } : {}),
        ...(q.createdTo ? { createdTo: q.createdTo } : {}),
      };
      const page = await store
        .list({ view, viewer: caller, ...(q.status ? { status: q.status } : {}), filter, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) })
        .catch((error: unknown) => {
          throw storeError(error);
        });
      // The store's indices choose the candidates; the policy has the last word on who sees what.
      const items = page.items.filter((item) => canView(policy, item, caller)).map((item) => requestResource(policy, item, caller, undefined, deps.retention));
      // total counts what the store's indices and filters found; the policy's last word may hide a few of those.
      res.json({ items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}), total: page.total, totalExact: page.totalExact });
    }),
  );

  router.get(
    '/requests/:id',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params } = checkInput('getRequest', req);
      const request = await visibleRequest(params.id!, caller);
      const body = await store.getBody(request.id).catch((error: unknown) => {
        throw storeError(error);
      });
      res.json(requestResource(policy, request, caller, body, deps.retention));
    }),
  );

  router.get(
    '/requests/:id/body',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params } = checkInput('getRequestBody', req);
      const request = await visibleRequest(params.id!, caller);
      const body = await store.getBody(request.id).catch((error: unknown) => {
        throw storeError(error);
      });
      if (body === null) throw new ApiError('REQUEST_NOT_FOUND', { requestId: request.id }, 'the request has no stored body any more');
      // Served as a download that no browser may render or sniff: it is someone else's input.
      res.set({
        'content-type': request.call.headers['content-type'] ?? 'application/octet-stream',
        'content-disposition': `attachment; filename="${request.id}.body"`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'x-maa-body-sha256': request.call.bodySha256,
      });
      res.end(body);
    }),
  );

  router.get(
    '/requests/:id/diff',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params } = checkInput('getRequestDiff', req);
      const request = await visibleRequest(params.id!, caller);
      const [body, snapshot] = await Promise.all([store.getBody(request.id), store.getSnapshot(request.id)]).catch((error: unknown) => {
        throw storeError(error);
      });
      res.json(changeDiff(request, body, { record: request.snapshot, bytes: snapshot }));
    }),
  );

  for (const action of ['approve', 'reject', 'cancel'] as const) {
    router.post(
      `/requests/:id/${action}`,
      route(async (req, res) => {
        const caller = callerOf(res);
        const { params, body } = checkInput(`${action}Request`, req);
        const notes = typeof body.notes === 'string' ? body.notes : '';
        try {
          const request = await visibleRequest(params.id!, caller);
          checkAction(request, caller, action);
          if (action === 'reject' && request.decision.rejectNotes === 'required' && notes.trim() === '') {
            throw new ApiError('REJECT_NOTES_REQUIRED', { requestId: request.id });
          }
          // The caller with their groups: a staged request's scripts check the current stage's groups.
          const after =
            action === 'approve'
              ? await store.approve(request.id, caller, notes)
              : action === 'reject'
                ? await store.reject(request.id, caller, notes)
                : await store.cancel(request.id, caller.userId);
          metrics.transitions.inc({ action, result: 'ok' });
          deps.logger.info({ requestId: after.id, action, actor: caller.userId, status: after.status }, 'transition');
          res.json(requestResource(policy, after, caller, undefined, deps.retention));
        } catch (error) {
          const refusal = storeError(error);
          metrics.transitions.inc({ action, result: refusal.code });
          throw refusal;
        }
      }),
    );
  }

  router.post(
    '/requests/:id/complete',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params, query, body } = checkInput('completeRequest', req);
      const breakGlass = body.breakGlass as { reason: string } | undefined;
      const scheduledFor = body.scheduledFor as string | undefined;
      const action = breakGlass ? 'break-glass' : scheduledFor !== undefined ? 'schedule' : 'complete';
      let result;
      try {
        const request = await visibleRequest(params.id!, caller);
        if (scheduledFor !== undefined) {
          const after = await scheduleReplay(request, caller, scheduledFor);
          metrics.transitions.inc({ action, result: 'ok' });
          deps.logger.info({ requestId: after.id, action, actor: caller.userId, scheduledFor: after.scheduledFor }, 'transition');
          res.status(202).json(requestResource(policy, after, caller, undefined, deps.retention));
          return;
        }
        if (breakGlass) {
          checkBreakGlass(request, caller, breakGlass.reason);
          result = await replay({
            id: request.id,
            actor: caller,
            authorization: req.headers.authorization,
            resend: false,
            claim: async (leaseMs) => {
              const claimed = await store.breakGlass(request.id, caller.userId, breakGlass.reason, leaseMs);
              alertBreakGlass(claimed.request);
              return claimed;
            },
          });
        } else {
          checkAction(request, caller, 'complete');
          const outside = outsideChangeWindow(policy, request, new Date());
          if (outside) throw outside;
          result = await replay({ id: request.id, actor: caller, authorization: req.headers.authorization, resend: query.resend === 'confirm' });
        }
      } catch (error) {
        const refusal = storeError(error);
        metrics.transitions.inc({ action, result: refusal.code });
        throw refusal;
      }
      metrics.transitions.inc({ action, result: result.requestStatus });
      res.setHeader('x-maa-request-status', result.requestStatus);
      if (result.request) res.setHeader('x-maa-request-id', result.request.id);
      if (result.error || !result.upstream) throw result.error ?? new ApiError('INTERNAL');
      // The upstream's answer, relayed as it came (hop-by-hop headers aside).
      res.status(result.upstream.status);
      for (const [name, value] of Object.entries(result.upstream.headers)) res.setHeader(name, value);
      res.end(result.upstream.body);
    }),
  );

  /** Break-glass's checks, in the order of the header comment, then the reason's length (config/roles.yaml). */
  function checkBreakGlass(request: ApprovalRequest, caller: Caller, reason: string): void {
    const wrongStatus = statusRefusal(request, 'breakGlass');
    if (wrongStatus) throw new ApiError('INVALID_STATE', { requestId: request.id, status: request.status }, `cannot break glass: ${wrongStatus}`);
    const allowed = policyVerdict(policy, request, caller, 'breakGlass');
    if (!allowed.allow) throw new ApiError('FORBIDDEN', { requestId: request.id, reasons: allowed.reasons }, `you may not break glass on this request: ${allowed.reasons.join('; ')}`);
    const min = policy.roles().breakGlassMinReasonChars;
    if (charCount(reason.trim()) < min) {
      throw new ApiError('BREAK_GLASS_REASON_REQUIRED', { requestId: request.id, fields: ['breakGlass.reason'] }, `break-glass needs a reason of at least ${min} characters, saying why the change cannot wait for approval`);
    }
  }

  /**
   * Tells the approvers: no notification channel exists yet, so a warning in the log (who, what,
   * which approver groups; never the reason's text, the body or a token) and the metric.
   */
  function alertBreakGlass(request: ApprovalRequest): void {
    metrics.breakGlass.inc({ profile_type: request.decision.profileType });
    deps.logger.warn(
      {
        requestId: request.id,
        requestor: request.requestor.userId,
        profileType: request.decision.profileType,
        operation: request.decision.operation,
        objectKey: request.decision.objectKey,
        policies: request.decision.policies,
        approverGroups: request.decision.approverGroups,
      },
      'break-glass: a request was completed without approvals; an approver of its groups must review it',
    );
  }

  /** Schedules the replay: the complete checks, then a time in the future, before expiry, inside a change window. */
  async function scheduleReplay(request: ApprovalRequest, caller: Caller, scheduledFor: string): Promise<ApprovalRequest> {
    checkAction(request, caller, 'complete');
    const at = new Date(scheduledFor);
    const now = Date.now();
    if (!(at.getTime() > now)) throw new ApiError('VALIDATION_FAILED', { requestId: request.id, fields: ['scheduledFor'] }, 'scheduledFor must be in the future');
    // The policy's approvedExpiresAfter, when it has one, else requests.approvedRetentionMs.
    const expiresAt = approvedSince(request) + (request.decision.approvedExpiresAfterMs ?? deps.retention.approvedMs);
    if (at.getTime() >= expiresAt) {
      throw new ApiError('VALIDATION_FAILED', { requestId: request.id, fields: ['scheduledFor'] }, `scheduledFor must be before the approved request expires (${new Date(expiresAt).toISOString()})`);
    }
    const outside = outsideChangeWindow(policy, request, at, 'scheduled');
    if (outside) throw outside;
    return store.schedule(request.id, caller.userId, at);
  }

  router.delete(
    '/requests/:id/schedule',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params } = checkInput('unscheduleRequest', req);
      try {
        const request = await visibleRequest(params.id!, caller);
        // The requestor's own decision; the script checks the status (409), then the requestor (403 NOT_REQUESTOR).
        const after = await store.unschedule(request.id, caller.userId);
        metrics.transitions.inc({ action: 'unschedule', result: 'ok' });
        deps.logger.info({ requestId: after.id, action: 'unschedule', actor: caller.userId }, 'transition');
        res.json(requestResource(policy, after, caller, undefined, deps.retention));
      } catch (error) {
        const refusal = storeError(error);
        metrics.transitions.inc({ action: 'unschedule', result: refusal.code });
        throw refusal;
      }
    }),
  );

  router.post(
    '/requests/:id/review',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params, body } = checkInput('reviewRequest', req);
      const notes = typeof body.notes === 'string' ? body.notes : '';
      try {
        const request = await visibleRequest(params.id!, caller);
        // State first (409), as for every action: nothing to review, or reviewed already.
        if (!request.breakGlass) throw new ApiError('NOT_BREAK_GLASS', { requestId: request.id, status: request.status });
        if (request.review) throw new ApiError('ALREADY_REVIEWED', { requestId: request.id, status: request.status });
        const allowed = policyVerdict(policy, request, caller, 'review');
        if (!allowed.allow) throw new ApiError('FORBIDDEN', { requestId: request.id, reasons: allowed.reasons }, `you may not review this request: ${allowed.reasons.join('; ')}`);
        const after = await store.review(request.id, caller.userId, notes);
        metrics.transitions.inc({ action: 'review', result: 'ok' });
        deps.logger.info({ requestId: after.id, action: 'review', actor: caller.userId }, 'transition');
        res.json(requestResource(policy, after, caller, undefined, deps.retention));
      } catch (error) {
        const refusal = storeError(error);
        metrics.transitions.inc({ action: 'review', result: refusal.code });
        throw refusal;
      }
    }),
  );

  router.get(
    '/break-glass',
    route(async (req, res) => {
      const caller = callerOf(res);
      const q = checkInput('listBreakGlass', req).query as { reviewed: 'true' | 'false'; limit: number };
      const found = await store.listBreakGlass({ reviewed: q.reviewed === 'true', limit: q.limit }).catch((error: unknown) => {
        throw storeError(error);
      });
      // One queue for the deployment; each caller sees the entries the policy lets them view.
      const items = found.filter((item) => canView(policy, item, caller)).map((item) => requestResource(policy, item, caller, undefined, deps.retention));
      res.json({ items });
    }),
  );

  router.get(
    '/audit',
    route(async (req, res) => {
      const caller = callerOf(res);
      const q = checkInput('listAuditEvents', req).query as { requestId?: string; since?: string; limit: number; order?: 'asc' | 'desc'; format?: 'json' | 'ndjson'; cursor?: string };
      if (q.format === 'ndjson') {
        // The SIEM export: the whole stream in chain order, so only auditors; a cursor, not a time.
        if (!isAuditor(caller)) throw new ApiError('FORBIDDEN', { reasons: ['only auditors may export the audit trail'] });
        const extra = (['requestId', 'since', 'order'] as const).filter((name) => q[name] !== undefined);
        if (extra.length) throw new ApiError('VALIDATION_FAILED', { fields: extra }, `format=ndjson reads the whole stream after cursor; ${extra.join(', ')} do not apply`);
        const page = await store.exportAudit({ ...(q.cursor ? { after: q.cursor } : {}), limit: q.limit }).catch((error: unknown) => {
          throw storeError(error);
        });
        if (page.cursor) res.setHeader('x-maa-cursor', page.cursor);
        res.type('application/x-ndjson').send(page.items.map((event) => `${JSON.stringify(event)}\n`).join(''));
        return;
      }
      if (q.cursor !== undefined) throw new ApiError('VALIDATION_FAILED', { fields: ['cursor'] }, 'cursor is for format=ndjson');
      if (q.requestId !== undefined) {
        // Viewers of a request may read its trail; the request must still exist to be checked.
        await visibleRequest(q.requestId, caller);
      } else if (!isAuditor(caller)) {
        throw new ApiError('FORBIDDEN', { reasons: ['only auditors may read the whole audit trail; give requestId'] });
      }
      // The chain's head tells how many events the whole deployment has had: auditors only, as GET /audit/head.
      const auditor = isAuditor(caller);
      const [items, chain] = await Promise.all([
        store.audit({ ...(q.requestId ? { requestId: q.requestId } : {}), ...(q.since ? { since: q.since } : {}), ...(q.order ? { order: q.order } : {}), limit: q.limit }),
        auditor ? store.auditChain() : undefined,
      ]).catch((error: unknown) => {
        throw storeError(error);
      });
      res.json(chain ? { items, head: chain.head } : { items });
    }),
  );

  router.get(
    '/audit/head',
    route(async (req, res) => {
      const caller = callerOf(res);
      checkInput('getAuditHead', req);
      if (!isAuditor(caller)) throw new ApiError('FORBIDDEN', { reasons: ['only auditors may read the audit chain head'] });
      const chain = await store.auditChain().catch((error: unknown) => {
        throw storeError(error);
      });
      res.json(chain);
    }),
  );

  router.get(
    '/requests/:id/evidence',
    route(async (req, res) => {
      const caller = callerOf(res);
      const { params } = checkInput('getRequestEvidence', req);
      // The same right as showing the request: its viewers, who see its body and history already.
      const request = await visibleRequest(params.id!, caller);
      const evidence = await store.evidence(request.id, caller.userId).catch((error: unknown) => {
        throw storeError(error);
      });
      if (!evidence) throw new ApiError('REQUEST_NOT_FOUND', { requestId: request.id });
      deps.logger.info({ requestId: request.id, actor: caller.userId, entries: evidence.chain.entries.length }, 'evidence exported');
      res.set('content-disposition', `attachment; filename="evidence-${request.id}.json"`).json(evidence);
    }),
  );

  router.get(
    '/events',
    route(async (req, res) => {
      checkInput('streamEvents', req);
      deps.events.open(req, res, callerOf(res));
    }),
  );

  router.get(
    '/access-policies',
    route(async (req, res) => {
      checkInput('listAccessPolicies', req);
      let items;
      try {
        const profileTypes = new Map(policy.profileTypes().map((p) => [p.name, p]));
        items = policy.accessPolicies().map((p) => ({
          name: p.name,
          description: p.description,
          profileType: p.profileType,
          approverGroups: p.approverGroups,
          requiredApprovals: p.requiredApprovals,
          enabled: p.enabled,
          // The change-control keys (docs/policy.md), each only when the policy has it.
          ...(p.stages ? { stages: p.stages } : {}),
          ...(p.rejectPolicy ? { rejectPolicy: p.rejectPolicy } : {}),
          ...(p.justification ? { justification: p.justification } : {}),
          ...(p.rejectNotes ? { rejectNotes: p.rejectNotes } : {}),
          ...(p.onStale ? { onStale: p.onStale } : {}),
          ...(p.when ? { when: p.when } : {}),
          ...(p.appliesTo ? { appliesTo: p.appliesTo } : {}),
          ...(p.exempt ? { exempt: p.exempt } : {}),
          ...(p.expiresAfterMs !== undefined ? { expiresAfterMs: p.expiresAfterMs } : {}),
          ...(p.approvedExpiresAfterMs !== undefined ? { approvedExpiresAfterMs: p.approvedExpiresAfterMs } : {}),
          ...(p.changeWindows ? { changeWindows: p.changeWindows } : {}),
          routes: (profileTypes.get(p.profileType)?.routes ?? []).map((r) => ({ method: r.method, path: r.path, operation: r.operation })),
        }));
      } catch (error) {
        throw storeError(error);
      }
      res.json({ items });
    }),
  );

  router.use(() => {
    throw new ApiError('NOT_FOUND');
  });
  return router;
}
