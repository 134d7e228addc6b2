import type { EntityManager } from 'typeorm';

/**
 * Keys of the PostgreSQL advisory locks, in one place so no two uses collide. Each worker job takes its own
 * lock, so any number of worker replicas run a job once.
 */
export enum AdvisoryLock {
  Migrations = 7_001,
  ResetPeriodCounters = 7_101,
  CheckTrialExpirations = 7_102,
  SyncStripeStatus = 7_103,
  CleanupStaleSubscriptions = 7_104,
  CaptureCapacitySnapshot = 7_105,
  RecordTrialEndings = 7_106,
  /**
   * With the vendor id as second key (`pg_advisory_xact_lock(key, vendor_id)`, held for one short transaction):
   * a vendor's new billing operations are checked for repeats and queued one at a time.
   */
  BillingOperationIntake = 7_201,
  /**
   * With the vendor id as second key, held for one short transaction: whose turn it is among a vendor's billing
   * operations is decided (taken, renewed) under it, so two takers never both see the turn free.
   */
  BillingTurn = 7_202,
}

/** Takes a transaction-scoped lock without waiting: true when this transaction now holds it. */
export async function tryTransactionLock(manager: EntityManager, key: AdvisoryLock): Promise<boolean> {
  const [row] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [key]);
  return row.locked === true;
}
