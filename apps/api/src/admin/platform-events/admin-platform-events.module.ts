import { Module } from '@nestjs/common';
import { PlatformEventsModule } from '@app/platform-events';
import { PlatformEventsController } from './platform-events.controller.js';

@Module({
  imports: [PlatformEventsModule],
  controllers: [PlatformEventsController],
})
export class AdminPlatformEventsModule {}
