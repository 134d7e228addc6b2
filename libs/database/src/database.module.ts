import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { JobRun } from './jobs/job-run.entity.js';
import { allowPlanReuse } from './sql.js';

type Options = TypeOrmModuleOptions & { reusePlans: boolean };

/** The TypeORM connection of a process; DATABASE_URL is required here (the start script provides it). */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService): Options => {
        const url = config.get<string>('DATABASE_URL');
        if (!url) throw new Error('DATABASE_URL is not set: use `npm start` for the embedded database, or set it.');
        // DATABASE_DIRECT_URL beside DATABASE_URL says DATABASE_URL is a transaction-mode pooler, where named
        // prepared statements do not survive from one transaction to the next: plans are reused only without it.
        const reusePlans = !config.get<string>('DATABASE_DIRECT_URL');
        return { ...dataSourceOptions(url), autoLoadEntities: true, retryAttempts: 3, retryDelay: 1000, reusePlans };
      },
      dataSourceFactory: async (options) => {
        const { reusePlans, ...typeorm } = options as Options;
        const dataSource = new DataSource(typeorm as DataSourceOptions);
        if (reusePlans) allowPlanReuse(dataSource);
        return dataSource.initialize();
      },
    }),
    TypeOrmModule.forFeature([JobRun]),
  ],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
