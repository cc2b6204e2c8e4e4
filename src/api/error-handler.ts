/**
 * The Express error handler of the gateway's own routes: every error becomes the documented
 * `{ "error": { "code", "message" } }` with the registry's status. Unexpected errors are logged
 * (name and message only) and answered 500 INTERNAL without detail.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ApiError, sendError } from '../errors';

/** Maps any thrown value to an ApiError. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  const e = error as { name?: string; type?: string; status?: number } | null;
  // body-parser (express.json) errors carry a `type`.
  if (e?.type === 'entity.parse.failed') return new ApiError('INVALID_JSON');
  if (e?.type === 'entity.too.large') return new ApiError('BODY_TOO_LARGE');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new ApiError('VALIDATION_FAILED', {}, 'unsupported body encoding');
  if (e?.name === 'PolicyUnavailableError') return new ApiError('POLICY_UNAVAILABLE');
  if (e?.name === 'StoreUnavailableError') return new ApiError('STORE_UNAVAILABLE');
  return null;
}

/**
 * Whether the error only says the caller went away before its request was read (body-parser's
 * `request.aborted`, a reset socket): nobody is left to answer, and it is not our fault.
 */
function clientWentAway(error: unknown, req: Request): boolean {
  const e = error as { type?: string; code?: string } | null;
  return e?.type === 'request.aborted' || ((e?.code === 'ECONNRESET' || e?.code === 'ECONNABORTED') && req.destroyed);
}

/**
 * Express error middleware (four arguments, as Express requires).
 * @example app.use(errorHandler(logger))
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (clientWentAway(error, req)) {
      logger.info({ method: req.method, path: req.path }, 'client closed the connection before the request was read');
      if (!res.headersSent && !res.destroyed) sendError(res, new ApiError('VALIDATION_FAILED', { fields: ['body'] }, 'the request body ended early'));
      else res.end();
      return;
    }
    let apiError = toApiError(error);
    if (!apiError) {
      logger.error({ err: { name: (error as Error)?.name, message: (error as Error)?.message }, method: req.method, path: req.path }, 'unexpected error');
      apiError = new ApiError('INTERNAL');
    }
    sendError(res, apiError);
  };
}
