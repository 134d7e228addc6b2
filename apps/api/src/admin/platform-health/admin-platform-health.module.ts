import { Module } from '@nestjs/common';
import { PlatformHealthModule } from '@app/platform-health';
import { PlatformHealthController } from './platform-health.controller.js';

@Module({
  imports: [PlatformHealthModule],
  controllers: [PlatformHealthController],
})
export class AdminPlatformHealthModule {}
