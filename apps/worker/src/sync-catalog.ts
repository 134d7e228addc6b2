// `npm run stripe:sync-catalog`: creates or updates the Stripe products and prices of every tier and add-on,
// found again by lookup_key (so a second run creates nothing), and stores their ids on the rows.
import 'reflect-metadata';
import { Module, type LoggerService } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { pathToFileURL } from 'node:url';
import { BillingModule, CatalogSyncService, type CatalogSyncResult } from '@app/billing';
import { CommonModule, createRootLogger, EnvironmentError, PinoNestLogger, validateEnvironment } from '@app/common';
import { errorLine, openCommandDatabase, DatabaseModule, type CommandDatabase } from '@app/database';

/** Only what the catalog sync needs: configuration, the clock, the database and the billing lib. */
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }), CommonModule, DatabaseModule.forRole('worker'), BillingModule],
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
 * or Stripe failed. Without DATABASE_URL it uses the embedded database of DATA_DIR: the one `npm start` runs, or
 * one started (and migrated) for this run and stopped after.
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

  let database: CommandDatabase | undefined;
  const given = env.DATABASE_URL;
  try {
    database = await openCommandDatabase({ databaseUrl: given || undefined, dataDir, owner: 'npm run stripe:sync-catalog', migrate: true });
  } catch (error) {
    err(`Could not open the database: ${errorLine(error)}`);
    return 1;
  }
  env.DATABASE_URL = database.url;
  try {
    const app = await NestFactory.createApplicationContext(SyncCatalogModule, { logger: options.logger, abortOnError: false });
    try {
      const result = await app.get(CatalogSyncService).syncCatalog();
      printResult(result, out);
      return 0;
    } catch (error) {
      err(`The catalog sync failed: ${errorLine(error)}`);
      return 1;
    } finally {
      await app.close();
    }
  } catch (error) {
    err(`The catalog sync could not start: ${errorLine(error)}`);
    return 1;
  } finally {
    if (given === undefined) delete env.DATABASE_URL;
    else env.DATABASE_URL = given;
    await database.close();
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
  const code = await runSyncCatalog({ logger }).catch((error: unknown) => {
    process.stderr.write(`The catalog sync failed: ${errorLine(error)}\n`);
    return 1;
  });
  process.exit(code); // the exit code is the outcome, whatever handle is still open
}
