import type { EntityManager } from 'typeorm';

/**
 * Why a plan or an add-on changed, as the history of plan changes records it (`subscription_changes.cause`,
 * migration 1764000022000). `stripe`, `signup` and `system` are what the trigger says by itself when no cause was
 * set: the Stripe watermark moved, a plan was created, anything else.
 */
export type ChangeCause = 'checkout' | 'webhook' | 'operation' | 'sync' | 'admin' | 'job';

/**
 * Names the cause of the plan changes this transaction makes: a transaction-local setting
 * (`set_config(…, true)`), gone at COMMIT or ROLLBACK, so nothing stays on a pooled connection (safe through a
 * transaction-mode pooler). Outside a transaction it would last one statement: call it inside one.
 */
export async function setChangeCause(manager: EntityManager, cause: ChangeCause): Promise<void> {
  await manager.query(`SELECT set_config('vb.change_cause', $1, true)`, [cause]);
}

/**
 * A condition for the WHERE clause of a job's batch statement, run on its own (its own implicit transaction): it
 * sets, for that statement's transaction only, the cause of its plan changes and, with `recorded`, that the
 * statement writes their history (`subscription_changes`) and `subscription.updated` events itself — the row-level
 * triggers that write them for every other writer then skip its rows in their WHEN clause (migration
 * 1764000032500), so a set-based job pays no trigger call per row. It also lets that transaction commit without
 * waiting for the WAL flush: a crash may lose the last batches' commits (whole, never half of one: each is one
 * statement with its history and events), and the next run does them again.
 *
 * An uncorrelated subquery is evaluated once, before the first row passes the WHERE clause, so before any row is
 * changed and any trigger's WHEN is checked. Only for a statement outside an explicit transaction: inside one the
 * settings would last until it ends.
 */
export function batchSettingsSql(cause: ChangeCause, options: { recorded: boolean }): string {
  const settings = [`set_config('vb.change_cause', '${cause}', true)`, `set_config('synchronous_commit', 'off', true)`];
  if (options.recorded) settings.push(`set_config('vb.changes_recorded', 'statement', true)`);
  return `(SELECT ${settings.join(' || ')}) IS NOT NULL`;
}
