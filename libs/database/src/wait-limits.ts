import { EventSubscriber, type EntitySubscriberInterface, type TransactionStartEvent } from 'typeorm';

/**
 * How long a process's database work may wait (DESIGN.md "Connections and waits"): for a lock, for one statement,
 * and how long a transaction may sit idle before the server ends it (and frees its locks). The API's are a few
 * seconds (a request past them answers 503, nothing changed); the worker's jobs, set-based over all due rows, get
 * their own longer ones.
 */
export interface WaitLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export type ProcessRole = 'api' | 'worker';

/** The variables each role reads (validated in EnvironmentVariables, documented in README "Configuration"). */
const VARIABLES: Record<ProcessRole, { statement: string; lock: string }> = {
  api: { statement: 'DATABASE_STATEMENT_TIMEOUT_MS', lock: 'DATABASE_LOCK_TIMEOUT_MS' },
  worker: { statement: 'WORKER_STATEMENT_TIMEOUT_MS', lock: 'WORKER_LOCK_TIMEOUT_MS' },
};

export function waitLimitsOf(role: ProcessRole, get: (name: string) => unknown): WaitLimits {
  const { statement, lock } = VARIABLES[role];
  return {
    statementTimeoutMs: Number(get(statement)),
    lockTimeoutMs: Number(get(lock)),
    idleInTransactionTimeoutMs: Number(get('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS')),
  };
}

/**
 * For a connection to PostgreSQL itself: pg sends these as startup parameters, so every statement of every
 * connection runs under them, in a transaction or not, at no cost per statement. A transaction-mode pooler
 * (PgBouncer) refuses unknown startup parameters, and a `SET` on its shared server connections would leak to
 * other clients: there `limitsPerTransaction` applies them instead.
 */
export function startupLimits(limits: WaitLimits): Record<string, number> {
  return {
    statement_timeout: limits.statementTimeoutMs,
    lock_timeout: limits.lockTimeoutMs,
    idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
  };
}

/**
 * Behind a transaction-mode pooler: each transaction starts with `SET LOCAL` of the limits (`set_config(…, true)`
 * ends with the transaction, so nothing stays on the pooler's server connection). A single statement outside a
 * transaction gets the server's defaults for the role: set them there (`ALTER ROLE … SET lock_timeout …`, README).
 * A TypeORM subscriber class, built per data source (TypeORM instantiates subscribers itself).
 */
export function limitsPerTransaction(limits: WaitLimits): new () => EntitySubscriberInterface {
  const sql = `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true), set_config('idle_in_transaction_session_timeout', $3, true)`;
  const params = [String(limits.statementTimeoutMs), String(limits.lockTimeoutMs), String(limits.idleInTransactionTimeoutMs)];
  class TransactionWaitLimits implements EntitySubscriberInterface {
    async afterTransactionStart(event: TransactionStartEvent): Promise<void> {
      // A nested transaction is a savepoint of one that already has them.
      if ((event.queryRunner as unknown as { transactionDepth: number }).transactionDepth !== 1) return;
      await event.queryRunner.query(sql, params);
    }
  }
  // TypeORM builds only the subscriber classes registered in its metadata (what the decorator does).
  EventSubscriber()(TransactionWaitLimits);
  return TransactionWaitLimits;
}

/** Which limit a database error says passed, if any: the API answers those 503, and logs which. */
export type WaitExpired = 'lock_timeout' | 'statement_timeout' | 'idle_in_transaction_timeout' | 'query_canceled';

const EXPIRED: Record<string, WaitExpired> = { '55P03': 'lock_timeout', '57014': 'statement_timeout', '25P03': 'idle_in_transaction_timeout' };

export function waitExpiredOf(error: unknown): { kind: WaitExpired; sqlstate: string; where?: string; statement?: string } | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown; where?: unknown }; where?: unknown; query?: unknown } | null;
  const code = String(e?.driverError?.code ?? e?.code ?? '');
  let kind = EXPIRED[code];
  if (!kind) return undefined;
  // 57014 is also an operator's pg_cancel_backend: as unavailable to the caller, but named for what it was.
  if (kind === 'statement_timeout' && !/statement timeout/.test(String((e as { message?: unknown }).message ?? ''))) kind = 'query_canceled';
  const where = e?.driverError?.where ?? e?.where;
  // The statement's text (parameters are never inlined): its first words say which statement waited.
  const statement = typeof e?.query === 'string' ? e.query.replace(/\s+/g, ' ').trim().slice(0, 120) : undefined;
  return { kind, sqlstate: code, ...(typeof where === 'string' && { where: where.slice(0, 200) }), ...(statement && { statement }) };
}
