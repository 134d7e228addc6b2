import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainError } from '@app/common';
import { AuthRateLimiter } from '@app/platform';

/**
 * Login and signup, per client IP: AUTH_RATE_LIMIT_PER_MINUTE attempts a minute, counted in PostgreSQL so every
 * replica enforces one limit (CONTRACT §2 `RATE_LIMITED`). The IP is the request's `ip` as the HTTP adapter
 * resolves it under TRUST_PROXY. A guard rather than middleware: it runs the same under Express and Fastify, and
 * before validation, so malformed attempts count too. A refusal is 429 with `Retry-After` (seconds).
 */
@Injectable()
export class AuthRateLimitGuard implements CanActivate {
  private readonly limit: number;

  constructor(
    private readonly limiter: AuthRateLimiter,
    private readonly adapterHost: HttpAdapterHost,
    config: ConfigService,
  ) {
    this.limit = config.get<number>('AUTH_RATE_LIMIT_PER_MINUTE', 20);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<{ ip?: string; socket?: { remoteAddress?: string } }>();
    const ip = request.ip ?? request.socket?.remoteAddress ?? 'unknown';
    const verdict = await this.limiter.hit(`auth:${ip}`, this.limit);
    if (verdict.allowed) return true;
    this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'Retry-After', String(verdict.retryAfterSeconds));
    throw new DomainError('RATE_LIMITED', `Too many attempts; try again in ${verdict.retryAfterSeconds} seconds.`);
  }
}
