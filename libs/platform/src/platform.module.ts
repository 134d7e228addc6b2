import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionModule } from '@app/subscription';
import { AnalyticsService } from './analytics/analytics.service.js';
import { AuthRateLimiter } from './auth/auth-rate-limiter.service.js';
import { AuthService } from './auth/auth.service.js';
import { OrderService } from './orders/order.service.js';
import { ProductService } from './products/product.service.js';
import { TeamService } from './team/team.service.js';
import { Order } from './orders/order.entity.js';
import { Product } from './products/product.entity.js';
import { User } from './users/user.entity.js';
import { Vendor } from './vendors/vendor.entity.js';
import { VendorActivationService } from './vendors/vendor-activation.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Vendor, User, Product, Order]),
    JwtModule.registerAsync({
      inject: [ConfigService],
      // A KeyObject, not the string: jsonwebtoken otherwise tries (and fails) to parse the string as a PEM public key on every verify.
      useFactory: (config: ConfigService) => ({ secret: createSecretKey(Buffer.from(config.getOrThrow<string>('JWT_SECRET'))) }),
    }),
    SubscriptionModule,
  ],
  providers: [AuthService, AuthRateLimiter, ProductService, OrderService, TeamService, AnalyticsService, VendorActivationService],
  exports: [AuthService, AuthRateLimiter, ProductService, OrderService, TeamService, AnalyticsService, VendorActivationService, TypeOrmModule],
})
export class PlatformModule {}
