import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { JobRun } from './jobs/job-run.entity.js';

/** The TypeORM connection of a process; DATABASE_URL is required here (the start script provides it). */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const url = config.get<string>('DATABASE_URL');
        if (!url) throw new Error('DATABASE_URL is not set: use `npm start` for the embedded database, or set it.');
        return { ...dataSourceOptions(url), autoLoadEntities: true, retryAttempts: 3, retryDelay: 1000 };
      },
    }),
    TypeOrmModule.forFeature([JobRun]),
  ],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
