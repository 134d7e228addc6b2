import type { EntityManager } from 'typeorm';

export interface StatementResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * Runs one SQL statement on the manager's connection (its transaction, when it has one) and answers rows and
 * row count alike for every command. `EntityManager.query` answers `[rows, count]` for UPDATE/DELETE but plain
 * rows otherwise, and drops the structured-result flag; the query runner keeps it.
 */
export async function runStatement<T = Record<string, unknown>>(manager: EntityManager, sql: string, params: unknown[]): Promise<StatementResult<T>> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: (result.records ?? []) as T[], rowCount: result.affected ?? 0 };
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}
