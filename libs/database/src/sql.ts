import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

export interface StatementResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * Data sources whose connections reach PostgreSQL itself, not a transaction-mode pooler: their statements may be
 * named prepared statements, whose plan PostgreSQL keeps per connection (see `reusePlan`).
 */
const planReuse = new WeakSet<DataSource>();

/**
 * Lets `reusePlan` statements of this data source keep their plans: only for a connection to the server itself
 * (no DATABASE_DIRECT_URL beside DATABASE_URL). Behind a transaction-mode pooler a named statement prepared on one
 * server connection is unknown on the next, so there every statement is planned each time it runs.
 */
export function allowPlanReuse(dataSource: DataSource): void {
  planReuse.add(dataSource);
}

/** Whether `reusePlan` statements of this data source are named prepared statements (now). */
export function reusesPlans(dataSource: DataSource): boolean {
  return planReuse.has(dataSource);
}

export interface StatementOptions {
  /**
   * A statement run often, outside any transaction (an implicit transaction of its own): on a direct connection it
   * runs as a named prepared statement (named by its text), so PostgreSQL plans it once per connection instead of
   * every time. Should the server not know the name after all (a pooler nobody declared), it runs again unnamed —
   * safe, since the failed statement did nothing — and the data source stops naming statements. A plan gone stale
   * (a migration widened a column the statement answers: SQLSTATE 0A000) is prepared again and run once more.
   */
  reusePlan?: boolean;
}

/**
 * Runs one SQL statement on the manager's connection (its transaction, when it has one) and answers rows and
 * row count alike for every command. `EntityManager.query` answers `[rows, count]` for UPDATE/DELETE but plain
 * rows otherwise, and drops the structured-result flag; the query runner keeps it.
 */
export async function runStatement<T = Record<string, unknown>>(manager: EntityManager, sql: string, params: unknown[] = [], opts: StatementOptions = {}): Promise<StatementResult<T>> {
  if (opts.reusePlan && !manager.queryRunner && planReuse.has(manager.connection)) return runNamed<T>(manager, sql, params);
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: (result.records ?? []) as T[], rowCount: result.affected ?? 0 };
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}

/** SQLSTATEs of a named statement the server does not hold (or holds already): a pooler between us and it. */
const LOST_STATEMENT = new Set(['26000', '42P05']);

/** "cached plan must not change result type": a named statement prepared before an ALTER of a column it answers. */
const STALE_PLAN = '0A000';

/**
 * Part of every statement name: raised when a plan went stale, so every connection prepares each statement afresh
 * under its new name instead of each meeting the stale one once (the old ones go with their connections).
 */
let planGeneration = 0;

/**
 * The pool behind the data source: a named statement needs a connection of its own for one statement, and taking it
 * from pg's pool directly skips building a TypeORM query runner (and its EntityManager) on every hot statement.
 */
function poolOf(manager: EntityManager): Pool {
  return (manager.connection.driver as unknown as { master: Pool }).master;
}

/**
 * Clients that swallow a socket error while checked out here: pg reports it to the running query (which rejects),
 * and the pool drops a client that is no longer queryable when it comes back. Without a listener an `error` event
 * would be thrown (TypeORM's query runner attaches one per use for the same reason).
 */
const guarded = new WeakSet<PoolClient>();

async function runPrepared<T>(client: PoolClient, sql: string, params: unknown[]): Promise<StatementResult<T>> {
  const result = await client.query({ name: statementName(sql), text: sql, values: params });
  return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
}

async function runNamed<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<StatementResult<T>> {
  const client = await poolOf(manager).connect();
  if (!guarded.has(client)) {
    client.on('error', () => undefined);
    guarded.add(client);
  }
  try {
    const generation = planGeneration;
    try {
      return await runPrepared<T>(client, sql, params);
    } catch (error) {
      if (String((error as { code?: unknown }).code) !== STALE_PLAN) throw error;
      // A migration changed what the statement answers (a widened column): its plan can never run again on any
      // connection. It failed before doing anything, so it is prepared again, under a new name, and run once more.
      if (planGeneration === generation) {
        planGeneration++;
        new Logger('Database').warn('A named prepared statement went stale (a migration changed a column it answers): statements are prepared again.');
      }
      return await runPrepared<T>(client, sql, params);
    }
  } catch (error) {
    if (!LOST_STATEMENT.has(String((error as { code?: unknown }).code))) throw error;
  } finally {
    client.release();
  }
  // Only reached when the name was lost: the statement did nothing, so it runs again, unnamed, as all will now.
  planReuse.delete(manager.connection);
  new Logger('Database').warn('A named prepared statement was lost between two uses (a transaction-mode pooler?): statements are planned on every run from now on. Set DATABASE_DIRECT_URL when DATABASE_URL is a pooler.');
  return runStatement<T>(manager, sql, params);
}

/**
 * Names by text, remembered, found by length and then compared: a composed text is a new string on every run, and
 * hashing a few kilobytes of it for a Map key costs more (about 2 ns a character) than comparing it with the one
 * or two remembered texts of its length. A handful of texts exist.
 */
const names = new Map<number, { text: string; hash: string }[]>();
let remembered = 0;

/** Deterministic per text: the same statement has the same name on every connection. */
function statementName(sql: string): string {
  const sameLength = names.get(sql.length);
  if (sameLength) {
    for (const known of sameLength) if (known.text === sql) return generationName(known.hash);
  }
  if (remembered >= 1000) {
    names.clear(); // a caller that inlines values would make texts without end
    remembered = 0;
  }
  const hash = `vb_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
  names.set(sql.length, [...(names.get(sql.length) ?? []), { text: sql, hash }]);
  remembered++;
  return generationName(hash);
}

/** The text's name in this plan generation: the hash alone at first (`vb_…`), then `vb_…_g<generation>`. */
function generationName(hash: string): string {
  return planGeneration === 0 ? hash : `${hash}_g${planGeneration}`;
}

/**
 * Adds a positional parameter to the statement being composed and answers its placeholder: `$3::timestamptz`.
 * `name` says what it is in the rendered `*.queries.sql` files (see test/support/queries-file.ts); it changes nothing
 * that runs.
 */
export type AddParam = (value: unknown, cast: string, name?: string) => string;

/**
 * Collects positional parameters while a statement is composed from parts (each part adds what it needs):
 * `params.add(value, 'timestamptz')` answers `$3::timestamptz`. Every placeholder carries its type, so a part's
 * SQL reads the same whoever composes it. `add` is bound: parts can be handed `params.add` itself.
 */
export class SqlParams {
  readonly values: unknown[];
  /** Per parameter: its cast and name, when given (for the rendered statements). */
  readonly described: { cast?: string; name?: string }[];

  /** `initial` are `$1`… of a fixed statement text the composed parts follow; `names` say what they are. */
  constructor(initial: unknown[] = [], names: string[] = []) {
    this.values = [...initial];
    this.described = initial.map((_, i) => ({ name: names[i] }));
  }

  readonly add: AddParam = (value, cast, name) => {
    this.values.push(value === undefined ? null : value);
    this.described.push({ cast, name });
    return `$${this.values.length}::${cast}`;
  };
}

/** A statement composed at run time, with its parameters: what runs, and what the rendered files show. */
export interface ComposedStatement {
  text: string;
  params: SqlParams;
}

/** The rows of one statement, whatever its command (`SELECT`, or `UPDATE … RETURNING`). */
export async function queryRows<T>(manager: EntityManager, sql: string, params: unknown[] = [], opts: StatementOptions = {}): Promise<T[]> {
  return (await runStatement<T>(manager, sql, params, opts)).rows;
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
