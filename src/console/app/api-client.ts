/**
 * A small client of the /maa/v1 API: the only way the console talks to the gateway.
 * Refusals arrive as `{ error: { code, message, reasons? } }` and become ApiError.
 */
import type {
  AccessPolicyResource,
  AuditPage,
  CompleteOutcome,
  DemoIdentity,
  DiffResource,
  ListRequestsQuery,
  Me,
  RequestBody,
  RequestPage,
  RequestResource,
} from './api-types';

/** A refusal or failure of an API call, with the API's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reasons: string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Longest upstream answer the console keeps in memory to show after a complete. */
const MAX_OUTCOME_CHARS = 16 * 1024;

export class ApiClient {
  constructor(
    private readonly prefix: string,
    private readonly token: string,
  ) {}

  me(): Promise<Me> {
    return this.json<Me>('GET', '/me');
  }

  /** One page of a list; empty filters are left out of the call. */
  listRequests(query: ListRequestsQuery): Promise<RequestPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
    return this.json<RequestPage>('GET', `/requests?${params.toString()}`);
  }

  /** The request's diff, or null when this gateway does not serve one for it (404): the pane then shows the body. */
  async diff(id: string): Promise<DiffResource | null> {
    try {
      return await this.json<DiffResource>('GET', `/requests/${encodeURIComponent(id)}/diff`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Opens `GET /events` with the bearer token in the Authorization header (fetch, not EventSource,
   * which cannot send headers and would need the token in the URL) and returns the response, whose
   * body is the event stream. Throws ApiError on a refusal (401, 429 TOO_MANY_STREAMS).
   */
  async openEvents(signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.prefix + '/events', {
        headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
        credentials: 'omit',
        cache: 'no-store',
        signal,
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The gateway could not be reached.');
    }
    if (!response.ok || !response.body) throw await toApiError(response);
    return response;
  }

  getRequest(id: string): Promise<RequestResource> {
    return this.json<RequestResource>('GET', `/requests/${encodeURIComponent(id)}`);
  }

  approve(id: string, notes: string): Promise<RequestResource> {
    return this.json<RequestResource>('POST', `/requests/${encodeURIComponent(id)}/approve`, { notes });
  }

  reject(id: string, notes: string): Promise<RequestResource> {
    return this.json<RequestResource>('POST', `/requests/${encodeURIComponent(id)}/reject`, { notes });
  }

  cancel(id: string): Promise<RequestResource> {
    return this.json<RequestResource>('POST', `/requests/${encodeURIComponent(id)}/cancel`);
  }

  /** One request's trail (`requestId`) or, for auditors, the whole trail; oldest first, from `since` on. */
  audit(query: { requestId?: string; since?: string; limit: number; order?: 'asc' | 'desc' }): Promise<AuditPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.order) params.set('order', query.order);
    if (query.requestId) params.set('requestId', query.requestId);
    if (query.since) params.set('since', query.since);
    return this.json<AuditPage>('GET', `/audit?${params.toString()}`);
  }

  /** The parked body's exact bytes; the caller decides what to do with them (never render them). */
  async requestBody(id: string): Promise<RequestBody> {
    const response = await this.send('GET', `/requests/${encodeURIComponent(id)}/body`, undefined, '*/*');
    if (!response.ok) throw await toApiError(response);
    return {
      blob: await response.blob(),
      contentType: response.headers.get('content-type') ?? '',
      sha256: response.headers.get('x-maa-body-sha256'),
    };
  }

  /** The break-glass review queue (`reviewed=false`), or the reviewed ones, newest first. */
  breakGlass(reviewed = false): Promise<{ items: RequestResource[] }> {
    return this.json<{ items: RequestResource[] }>('GET', `/break-glass?reviewed=${reviewed}`);
  }

  review(id: string, notes: string): Promise<RequestResource> {
    return this.json<RequestResource>('POST', `/requests/${encodeURIComponent(id)}/review`, { notes });
  }

  unschedule(id: string): Promise<RequestResource> {
    return this.json<RequestResource>('DELETE', `/requests/${encodeURIComponent(id)}/schedule`);
  }

  accessPolicies(): Promise<{ items: AccessPolicyResource[] }> {
    return this.json<{ items: AccessPolicyResource[] }>('GET', '/access-policies');
  }

  /**
   * Replays the parked call. The answer is the upstream's own (any status), told apart from a
   * gateway refusal by the X-MAA-Request-Status header, which only a replay carries.
   */
  async complete(id: string, resend = false): Promise<CompleteOutcome> {
    const path = `/requests/${encodeURIComponent(id)}/complete${resend ? '?resend=confirm' : ''}`;
    const response = await this.send('POST', path);
    const requestStatus = response.headers.get('x-maa-request-status');
    if (!requestStatus) throw await toApiError(response);
    const body = await response.text();
    return {
      upstreamStatus: response.status,
      upstreamStatusText: response.statusText,
      requestStatus,
      contentType: response.headers.get('content-type') ?? '',
      body: body.length > MAX_OUTCOME_CHARS ? body.slice(0, MAX_OUTCOME_CHARS) : body,
    };
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    if (!response.ok) throw await toApiError(response);
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(this.prefix + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The gateway could not be reached.');
    }
  }
}

/** The demo's identities, or an empty list when the gateway does not offer them. */
export async function fetchDemoIdentities(): Promise<DemoIdentity[]> {
  try {
    const response = await fetch('demo-identities.json', { credentials: 'omit', cache: 'no-store' });
    if (!response.ok) return [];
    const data = (await response.json()) as { items?: DemoIdentity[] };
    return Array.isArray(data.items) ? data.items : [];
  } catch {
    return [];
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  try {
    const data = (await response.json()) as { error?: { code?: unknown; message?: unknown; reasons?: unknown } };
    const error = data.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      const reasons = Array.isArray(error.reasons) ? error.reasons.filter((r): r is string => typeof r === 'string') : [];
      return new ApiError(response.status, error.code, error.message, reasons);
    }
  } catch {
    // Not the API's error shape (a proxy's HTML page, say): fall through to the status line.
  }
  return new ApiError(response.status, 'HTTP_' + response.status, `The gateway answered ${response.status} ${response.statusText}.`);
}
