/**
 * The approval API (`/maa/v1`, docs/api.md): list, show, approve, reject, cancel, complete,
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

export interface ApiRouterDeps {
  prefix: string;
  policy: PolicyEngine;
  store: RequestStore;
  identity: Identity;
  /** The gateway's one replay function (src/gateway/replay.ts). */
  replay: Replay;
  metrics: GatewayMetrics;
  logger: Logger;
  /** requests.retentionMs / approvedRetentionMs, for each open request's `expiresAt`. */
  retention?: OpenRetention;
}

/** JSON bodies of the API are small: notes of 1,000 characters fit many times over. */
const JSON_LIMIT = '16kb';

type Handler = (req: Request, res: Response) => Promise<void>;

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
      const q = checkInput('listRequests', req).query as { view: ListView; status?: RequestStatus; limit: number; cursor?: string };
      const view = q.view;
      if (view === 'all' && !isAuditor(caller)) throw new ApiError('FORBIDDEN', { reasons: ['only auditors may list all requests'] });
      const page = await store
        .list({ view, viewer: caller, ...(q.status ? { status: q.status } : {}), limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) })
        .catch((error: unknown) => {
          throw storeError(error);
        });
      // The store's indices choose the candidates; the policy has the last word on who sees what.
      const items = page.items.filter((item) => canView(policy, item, caller)).map((item) => requestResource(policy, item, caller, undefined, deps.retention));
      res.json(page.nextCursor ? { items, nextCursor: page.nextCursor } : { items });
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
      const { params, query } = checkInput('completeRequest', req);
      let result;
      try {
        const request = await visibleRequest(params.id!, caller);
        checkAction(request, caller, 'complete');
        result = await replay({ id: request.id, actor: caller, authorization: req.headers.authorization, resend: query.resend === 'confirm' });
      } catch (error) {
        const refusal = storeError(error);
        metrics.transitions.inc({ action: 'complete', result: refusal.code });
        throw refusal;
      }
      metrics.transitions.inc({ action: 'complete', result: result.requestStatus });
      res.setHeader('x-maa-request-status', result.requestStatus);
      if (result.request) res.setHeader('x-maa-request-id', result.request.id);
      if (result.error || !result.upstream) throw result.error ?? new ApiError('INTERNAL');
      // The upstream's answer, relayed as it came (hop-by-hop headers aside).
      res.status(result.upstream.status);
      for (const [name, value] of Object.entries(result.upstream.headers)) res.setHeader(name, value);
      res.end(result.upstream.body);
    }),
  );

  router.get(
    '/audit',
    route(async (req, res) => {
      const caller = callerOf(res);
      const q = checkInput('listAuditEvents', req).query as { requestId?: string; since?: string; limit: number; order?: 'asc' | 'desc' };
      if (q.requestId !== undefined) {
        // Viewers of a request may read its trail; the request must still exist to be checked.
        await visibleRequest(q.requestId, caller);
      } else if (!isAuditor(caller)) {
        throw new ApiError('FORBIDDEN', { reasons: ['only auditors may read the whole audit trail; give requestId'] });
      }
      const items = await store
        .audit({ ...(q.requestId ? { requestId: q.requestId } : {}), ...(q.since ? { since: q.since } : {}), ...(q.order ? { order: q.order } : {}), limit: q.limit })
        .catch((error: unknown) => {
          throw storeError(error);
        });
      res.json({ items });
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
          ...(p.when ? { when: p.when } : {}),
          ...(p.appliesTo ? { appliesTo: p.appliesTo } : {}),
          ...(p.exempt ? { exempt: p.exempt } : {}),
          ...(p.expiresAfterMs !== undefined ? { expiresAfterMs: p.expiresAfterMs } : {}),
          ...(p.approvedExpiresAfterMs !== undefined ? { approvedExpiresAfterMs: p.approvedExpiresAfterMs } : {}),
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
