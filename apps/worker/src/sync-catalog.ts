// `npm run stripe:sync-catalog`: creates or updates the Stripe products and prices of every tier and add-on,
// found again by lookup_key (so a second run creates nothing), and stores their ids on the rows.
import 'reflect-metadata';
import { Module, type LoggerService } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BillingModule, CatalogSyncService, type CatalogSyncResult } from '@app/billing';
import { CommonModule, createRootLogger, EnvironmentError, PinoNestLogger, validateEnvironment } from '@app/common';
import { DatabaseModule, migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';

/** Only what the catalog sync needs: configuration, the clock, the database and the billing lib. */
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }), CommonModule, DatabaseModule, BillingModule],
})
class SyncCatalogModule {}

export interface SyncCatalogOptions {
  env?: NodeJS.ProcessEnv;
  logger?: LoggerService | false;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/**
 * Answers the exit code: 0 when the catalog is in sync, 1 when Stripe is not configured, the environment is invalid
 * or Stripe failed. Without DATABASE_URL it opens the embedded database under DATA_DIR (as `npm start` does), so
 * run it before `npm start` or point DATABASE_URL at the running database.
 */
export async function runSyncCatalog(options: SyncCatalogOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!env.STRIPE_SECRET_KEY) {
    err('STRIPE_SECRET_KEY is not set: export your Stripe secret key (sk_test_… or sk_live_…) and run this again.');
    return 1;
  }
  let dataDir: string;
  try {
    dataDir = validateEnvironment({ ...env }).DATA_DIR;
  } catch (error) {
    if (error instanceof EnvironmentError) {
      err(error.message);
      return 1;
    }
    throw error;
  }

  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    try {
      embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
    } catch (error) {
      err(`Could not open the embedded database under ${join(dataDir, 'pg')} (is \`npm start\` running? Stop it or set DATABASE_URL): ${(error as Error).message}`);
      return 1;
    }
    await migrateDatabase(embedded.url);
    env.DATABASE_URL = embedded.url;
  }
  try {
    const app = await NestFactory.createApplicationContext(SyncCatalogModule, { logger: options.logger, abortOnError: false });
    try {
      const result = await app.get(CatalogSyncService).syncCatalog();
      printResult(result, out);
      return 0;
    } catch (error) {
      err(`The catalog sync failed: ${(error as Error).message}`);
      return 1;
    } finally {
      await app.close();
    }
  } finally {
    if (embedded) {
      delete env.DATABASE_URL;
      await embedded.stop();
    }
  }
}

function printResult(result: CatalogSyncResult, out: (line: string) => void): void {
  for (const o of result.objects) {
    out(`${o.action.padEnd(8)} ${o.kind.padEnd(7)} ${o.key.padEnd(28)} ${o.id}${o.detail ? `  (${o.detail})` : ''}`);
  }
  out(`Stripe catalog in sync: ${result.created} created, ${result.updated} updated, ${result.reused} reused.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const logger = new PinoNestLogger(createRootLogger(process.env.LOG_LEVEL ?? 'warn', 'stripe-sync-catalog'));
  process.exitCode = await runSyncCatalog({ logger }).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  });
}
