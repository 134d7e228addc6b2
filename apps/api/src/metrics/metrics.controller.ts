import { Controller, Get, Header, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { register } from 'prom-client';
import { UnauthorizedError } from '@app/common';
import { Public } from '../auth/auth.decorators.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` passes. A guard, so a refusal is answered
 * before the route's text/plain Content-Type is applied, in the JSON envelope.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token?: Buffer;

  constructor(config: ConfigService) {
    const token = config.get<string>('METRICS_TOKEN');
    if (token) this.token = digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    const given = /^Bearer (\S+)$/i.exec(typeof header === 'string' ? header : '')?.[1] ?? '';
    // Both sides hashed to 32 bytes: the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(given), this.token)) throw new UnauthorizedError('GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.');
    return true;
  }
}

/** Prometheus text. Open by default (a private network's scraper); with METRICS_TOKEN set, only for its bearer. */
@ApiExcludeController()
@Public()
@UseGuards(MetricsTokenGuard)
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
