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
