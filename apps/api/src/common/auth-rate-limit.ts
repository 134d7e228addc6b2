import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

/** Login and signup, per client IP: a fixed window of a minute (AUTH_RATE_LIMIT_PER_MINUTE). */
export function authRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({ status_code: 429, error_code: 'RATE_LIMITED', message: 'Too many attempts; try again in a minute.' });
    },
  });
}
