/**
 * The one list of the gateway's own routes: every path here is answered by the gateway's
 * Express app and never proxied; every other path goes to the upstream. The request path
 * (handle-request.ts) matches with `gatewayRouteMatcher`, the server mounts from these constants.
 */

/** Paths answered as they are, exactly. */
export const GATEWAY_PATHS = { health: '/healthz', ready: '/readyz', metrics: '/metrics' } as const;

/** Where the approvers' web console is mounted. */
export const CONSOLE_PREFIX = '/maa/console';

/** The prefixes the gateway owns: the approval API (configurable, `api.prefix`) and the console. */
export function gatewayPrefixes(apiPrefix: string): string[] {
  return [apiPrefix, CONSOLE_PREFIX];
}

/**
 * Whether a raw request URL belongs to the gateway itself, matched on the exact bytes of the
 * path (case-sensitive, query ignored): a prefix matches itself and what lies below it.
 * @example
 * const isGatewayRoute = gatewayRouteMatcher('/maa/v1');
 * isGatewayRoute('/maa/v1/requests?view=mine'); // true
 * isGatewayRoute('/maa/consoles');              // false: proxied
 */
export function gatewayRouteMatcher(apiPrefix: string): (url: string) => boolean {
  const prefixes = gatewayPrefixes(apiPrefix);
  const exact = new Set<string>(Object.values(GATEWAY_PATHS));
  return (url) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (exact.has(path)) return true;
    for (const prefix of prefixes) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return true;
    }
    return false;
  };
}
