import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { JobRun } from './jobs/job-run.entity.js';
import { allowPlanReuse } from './sql.js';
import { limitsPerTransaction, startupLimits, waitLimitsOf, type ProcessRole } from './wait-limits.js';

type Options = TypeOrmModuleOptions & { reusePlans: boolean };

/** The TypeORM connection of a process, with the wait limits of its role; DATABASE_URL is required here. */
function typeOrmRoot(role: ProcessRole) {
  return TypeOrmModule.forRootAsync({
    inject: [ConfigService],
    useFactory: (config: ConfigService): Options => {
      const url = config.get<string>('DATABASE_URL');
      if (!url) throw new Error('DATABASE_URL is not set: use `npm start` for the embedded database, or set it.');
      // DATABASE_DIRECT_URL beside DATABASE_URL says DATABASE_URL is a transaction-mode pooler, where named
      // prepared statements do not survive from one transaction to the next: plans are reused only without it.
      // For the same reason the wait limits go per transaction there, as startup parameters otherwise.
      const throughPooler = !!config.get<string>('DATABASE_DIRECT_URL');
      const limits = waitLimitsOf(role, (name) => config.get(name));
      const base = dataSourceOptions(url);
      const limited = throughPooler
        ? { subscribers: [limitsPerTransaction(limits)] }
        : { extra: { ...(base.extra as object), ...startupLimits(limits) } };
      return { ...base, ...limited, autoLoadEntities: true, retryAttempts: 3, retryDelay: 1000, reusePlans: !throughPooler } as Options;
    },
    dataSourceFactory: async (options) => {
      const { reusePlans, ...typeorm } = options as Options;
      const dataSource = new DataSource(typeorm as DataSourceOptions);
      if (reusePlans) allowPlanReuse(dataSource);
      return dataSource.initialize();
    },
  });
}

/**
 * The process's connection, with its role's wait limits: the API's requests wait seconds at most
 * (DATABASE_*_TIMEOUT_MS); the worker (jobs, the delivery loops, `npm run job`, the catalog sync) has the longer
 * WORKER_*_TIMEOUT_MS. A dynamic module, so only the role a process imports registers TypeORM's default data source.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRole(role: ProcessRole): DynamicModule {
    return { module: DatabaseModule, global: true, imports: [typeOrmRoot(role), TypeOrmModule.forFeature([JobRun])], exports: [TypeOrmModule] };
  }
}
