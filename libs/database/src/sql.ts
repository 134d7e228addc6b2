import type { DataSource, EntityManager } from 'typeorm';

export interface StatementResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * Runs one SQL statement on the manager's connection (its transaction, when it has one) and answers rows and
 * row count alike for every command. `EntityManager.query` answers `[rows, count]` for UPDATE/DELETE but plain
 * rows otherwise, and drops the structured-result flag; the query runner keeps it.
 */
export async function runStatement<T = Record<string, unknown>>(manager: EntityManager, sql: string, params: unknown[] = []): Promise<StatementResult<T>> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: (result.records ?? []) as T[], rowCount: result.affected ?? 0 };
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}

/** Adds a positional parameter to the statement being composed and answers its placeholder: `$3::timestamptz`. */
export type AddParam = (value: unknown, cast: string) => string;

/**
 * Collects positional parameters while a statement is composed from parts (each part adds what it needs):
 * `params.add(value, 'timestamptz')` answers `$3::timestamptz`. Every placeholder carries its type, so a part's
 * SQL reads the same whoever composes it.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast: string): string {
    this.values.push(value === undefined ? null : value);
    return `$${this.values.length}::${cast}`;
  }
}

/** The rows of one statement, whatever its command (`SELECT`, or `UPDATE … RETURNING`). */
export async function queryRows<T>(manager: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await runStatement<T>(manager, sql, params)).rows;
}

/**
 * A transaction whose callback decides, without throwing, whether it commits: `{ commit: false }` rolls back what
 * it did (a webhook that finds it must re-read Stripe first, a reconciliation that found nothing to change). An
 * error rolls back and is rethrown.
 */
export async function transactionThatMayRollBack<T>(dataSource: DataSource, fn: (manager: EntityManager) => Promise<{ commit: boolean; value: T }>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    let result: { commit: boolean; value: T };
    try {
      result = await fn(runner.manager);
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
    if (result.commit) await runner.commitTransaction();
    else await runner.rollbackTransaction();
    return result.value;
  } finally {
    await runner.release();
  }
}
