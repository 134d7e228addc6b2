import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule, validateEnvironment } from '@app/common';
import { DatabaseModule } from '@app/database';
import { PlatformModule } from '@app/platform';
import { SubscriptionModule } from '@app/subscription';
import { AdminApiModule } from './admin/admin-api.module.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AdminBootstrap } from './auth/admin.bootstrap.js';
import { BillingApiModule } from './billing/billing-api.module.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { HealthController } from './health/health.controller.js';
import { HomeController } from './health/home.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { PagesModule } from './pages/pages.module.js';
import { VendorApiModule } from './vendor/vendor-api.module.js';
import { WebhooksApiModule } from './webhooks/webhooks-api.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
    TerminusModule,
    CommonModule,
    DatabaseModule.forRole('api'),
    PlatformModule,
    SubscriptionModule,
    VendorApiModule,
    BillingApiModule,
    WebhooksApiModule,
    AdminApiModule,
    PagesModule,
  ],
  controllers: [AuthController, HealthController, HomeController, MetricsController],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    AdminBootstrap,
  ],
})
export class AppModule {}
