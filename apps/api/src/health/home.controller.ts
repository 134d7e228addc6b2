import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';

/**
 * `GET /`: where things are, for someone who just opened the address in a browser or curl (a bare 404 told them
 * nothing). Plain JSON, so it works the same on any HTTP adapter.
 */
@ApiExcludeController()
@Public()
@Controller()
export class HomeController {
  @Get()
  home() {
    return {
      name: 'vendor-billing API',
      docs: '/api/docs',
      openapi: '/api/docs-json',
      api: '/api/v1',
      pages: { vendor_billing: '/vendor/{vendor_code}/billing', admin: '/admin' },
      health: { live: '/health/live', ready: '/health/ready' },
      metrics: '/metrics',
    };
  }
}
