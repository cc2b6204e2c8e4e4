/**
 * Who is calling the approval API: every route but the OpenAPI description needs a valid
 * bearer token. The caller is kept on res.locals for the handlers.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Identity } from '../identity/types';
import { IdentityError } from '../identity/types';
import type { Caller } from '../policy/types';
import { ApiError } from '../errors';

/** Express middleware: sets res.locals.caller or refuses with 401 UNAUTHENTICATED. */
export function requireCaller(identity: Identity) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      res.locals.caller = await identity.authenticate(req.headers.authorization);
      next();
    } catch (error) {
      res.setHeader('www-authenticate', 'Bearer');
      // The reason names what was wrong (expired, bad signature…), never the token itself.
      next(new ApiError('UNAUTHENTICATED', {}, error instanceof IdentityError ? `not signed in: ${error.reason}` : undefined));
    }
  };
}

/** The caller set by requireCaller. */
export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller;
}
