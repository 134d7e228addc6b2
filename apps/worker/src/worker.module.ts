import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { CommonModule, validateEnvironment } from '@app/common';
import { DatabaseModule } from '@app/database';

/** The scheduler and nothing else: jobs call lib services; no HTTP here. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
    ScheduleModule.forRoot(),
    CommonModule,
    DatabaseModule,
  ],
})
export class WorkerModule {}
