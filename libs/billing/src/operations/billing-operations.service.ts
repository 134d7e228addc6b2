import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, DomainError, ValidationFailedError, type ErrorCode } from '@app/common';
import { AdvisoryLock, queryRows } from '@app/database';
import { beforeStripeCalls } from '@app/stripe';
import { DataSource, type EntityManager } from 'typeorm';
import { BillingTurn, WAIT_MAX_MS } from './billing-turn.js';

export type OperationKind = 'checkout' | 'portal' | 'change_tier' | 'cancel' | 'reactivate' | 'addon_purchase' | 'addon_cancel';

/** The operation in hand: its Stripe idempotency key, and how it records Stripe's answer and its completion. */
export interface OperationHandle {
  readonly id: number;
  /** Sent with every mutating Stripe call of this operation: unique to it, so a different request never replays it. */
  readonly idempotencyKey: string;
  /**
   * Stripe agreed: keeps the answer the client will get, in a statement of its own, before the local write — so a
   * failed local write can never turn into "failed" for something Stripe did; the next sync completes it. The
   * operation keeps the vendor's turn until its local write is done (or it gives up).
   */
  stripeAnswered(response: unknown, stripeObjectId?: string | null): Promise<void>;
  /** Marks the operation done, in the transaction of its local write; that releases the turn. */
  complete(manager: EntityManager, response: unknown): Promise<void>;
}

/** A repeat of the same request (same body) this soon after it is the same operation: a double click. */
const REPEAT_WINDOW_S = 5;
/** How long a repeat waits for the operation it repeats: past the longest a live one takes (slow Stripe, retries). */
const REPEAT_WAIT_MAX_MS = WAIT_MAX_MS + 150_000;
const POLL_MS = 50;
/**
 * Operations a state read from Stripe completes: ones that no longer hold the turn — Stripe answered but the local
 * write failed, or the process died (its lease ran out) after Stripe answered or during the call. One whose holder
 * is alive is left to it: settling it would hand the turn on before its local write.
 */
const SETTLEABLE = `(status IN ('running', 'stripe_succeeded') AND (lease_expires_at IS NULL OR lease_expires_at <= now()))`;

interface OperationRow {
  id: number;
  status: 'queued' | 'running' | 'stripe_succeeded' | 'succeeded' | 'failed' | 'abandoned';
  request_hash: string;
  response: unknown;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> } | null;
}

/**
 * Billing operations as rows (`billing_operations`, owned here). Each vendor-initiated Stripe change is written
 * before Stripe is called and completed after; one vendor's operations run one at a time, in the order they
 * arrived, each holding the vendor's turn (BillingTurn) from its start until its local write is done — waiting
 * holds no connection and no lock, and Stripe is never called inside a transaction. A client's `Idempotency-Key`, or the
 * same request again within a few seconds, is the same operation and gets its answer; anything else is new.
 */
@Injectable()
export class BillingOperationsService {
  private readonly logger = new Logger(BillingOperationsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly turn: BillingTurn,
  ) {}

  async run<T>(input: { vendorId: number; kind: OperationKind; params: Record<string, unknown>; clientKey?: string }, execute: (op: OperationHandle) => Promise<T>): Promise<T> {
    if (input.clientKey !== undefined && !/^[\x21-\x7e]{1,128}$/.test(input.clientKey)) {
      throw ValidationFailedError.forField('Idempotency-Key', 'The Idempotency-Key header must be 1 to 128 visible ASCII characters.');
    }
    const hash = createHash('sha256').update(`${input.kind}\n${JSON.stringify(input.params)}`).digest('hex');
    const intake = await this.enqueue(input, hash);
    if (intake.existing) return this.answerOf<T>(await this.awaitDone(intake.existing.id));

    const op = intake.id;
    await this.turn.take(input.vendorId, op);
    const held = this.turn.hold(input.vendorId, op);
    const handle: OperationHandle = {
      id: op,
      idempotencyKey: intake.idempotencyKey,
      stripeAnswered: async (response, stripeObjectId) => {
        await this.dataSource.query(
          `UPDATE billing_operations SET status = 'stripe_succeeded', response = $2::jsonb, stripe_object_id = $3 WHERE id = $1 AND status = 'running'`,
          [op, JSON.stringify(response ?? null), stripeObjectId ?? null],
        );
      },
      complete: async (manager, response) => {
        await manager.query(
          `UPDATE billing_operations SET status = 'succeeded', response = $2::jsonb, completed_at = now(), lease_expires_at = NULL WHERE id = $1`,
          [op, JSON.stringify(response ?? null)],
        );
      },
    };
    try {
      // Every Stripe call of the operation renews its turn first, and is refused if the turn was lost.
      const result = await beforeStripeCalls.run(held.ensure, () => execute(handle));
      // Whatever execute did not complete itself: no local write was needed, or it failed after Stripe agreed
      // (then the row stays stripe_succeeded for the next sync, and gives the turn up here).
      await this.dataSource.query(
        `UPDATE billing_operations SET status = CASE WHEN status = 'running' THEN 'succeeded' ELSE status END, response = COALESCE(response, $2::jsonb),
                completed_at = CASE WHEN status = 'running' THEN now() ELSE completed_at END, lease_expires_at = NULL
          WHERE id = $1 AND status IN ('running', 'stripe_succeeded')`,
        [op, JSON.stringify(result ?? null)],
      );
      return result;
    } catch (error) {
      const stored = error instanceof DomainError ? { code: error.code, message: error.message, details: error.details } : { code: 'INTERNAL_ERROR', message: 'The operation failed.' };
      await this.dataSource
        .query(
          `UPDATE billing_operations SET status = CASE WHEN status = 'running' THEN 'failed' ELSE status END, error = CASE WHEN status = 'running' THEN $2::jsonb ELSE error END,
                  completed_at = CASE WHEN status = 'running' THEN now() ELSE completed_at END, lease_expires_at = NULL
            WHERE id = $1 AND status IN ('running', 'stripe_succeeded')`,
          [op, JSON.stringify(stored)],
        )
        .catch((e: unknown) => this.logger.error({ err: e, operation_id: op, msg: 'Could not record the failed billing operation' }));
      throw error;
    } finally {
      held.stop();
    }
  }

  /**
   * After Stripe's state was applied (a `/sync`, the reconciliation): operations Stripe answered but whose local
   * write failed are complete now; ones whose process died during the Stripe call are settled by that state.
   */
  async settleOpenOperations(manager: EntityManager, vendorId: number): Promise<number> {
    const rows = await queryRows(
      manager,
      `UPDATE billing_operations SET status = CASE WHEN status = 'stripe_succeeded' THEN 'succeeded' ELSE 'abandoned' END,
              completed_at = now(), lease_expires_at = NULL
        WHERE vendor_id = $1 AND ${SETTLEABLE}
        RETURNING id`,
      [vendorId],
    );
    return rows.length;
  }

  /**
   * The vendors, among those whose row holds one of these Stripe subscriptions, with operations that
   * `settleOpenOperations` would settle (one read for a page of subscriptions).
   */
  async vendorsWithSettleableOperations(stripeSubscriptionIds: string[]): Promise<Set<number>> {
    const rows = await queryRows<{ vendor_id: number }>(
      this.dataSource.manager,
      `SELECT DISTINCT vendor_id FROM billing_operations
        WHERE ${SETTLEABLE} AND vendor_id IN (SELECT vendor_id FROM vendor_subscriptions WHERE stripe_subscription_id = ANY($1::varchar[]))`,
      [stripeSubscriptionIds],
      { reusePlan: true },
    );
    return new Set(rows.map((r) => Number(r.vendor_id)));
  }

  /**
   * Queues the operation, or finds the one it repeats, under the vendor's intake lock (one short transaction):
   * the same client key, or the same request within REPEAT_WINDOW_S.
   */
  private async enqueue(input: { vendorId: number; kind: OperationKind; params: Record<string, unknown>; clientKey?: string }, hash: string): Promise<{ id: number; idempotencyKey: string; existing?: undefined } | { existing: OperationRow }> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1, $2)`, [AdvisoryLock.BillingOperationIntake, input.vendorId]);
      const [repeat] = await queryRows<OperationRow & { idempotency_key: string }>(
        manager,
        input.clientKey !== undefined
          ? `SELECT id, status, request_hash, response, error, idempotency_key FROM billing_operations WHERE vendor_id = $1 AND client_key = $2`
          : // A double click: the vendor's latest operation, unkeyed, the same request, seconds ago, not failed.
            `SELECT * FROM (SELECT id, status, request_hash, response, error, idempotency_key, client_key, created_at FROM billing_operations
                             WHERE vendor_id = $1 ORDER BY id DESC LIMIT 1) latest
              WHERE request_hash = $2 AND client_key IS NULL AND status NOT IN ('failed', 'abandoned')
                AND created_at > now() - make_interval(secs => ${REPEAT_WINDOW_S})`,
        [input.vendorId, input.clientKey ?? hash],
      );
      if (repeat && repeat.request_hash !== hash) throw new ConflictError('This Idempotency-Key was used for a different request.', { idempotency_key: input.clientKey });
      if (repeat && (repeat.status === 'failed' || repeat.status === 'abandoned')) {
        // The client retries what failed: the same operation runs again with the same Stripe key, so whatever
        // Stripe did the first time (an answer that never arrived) is answered now instead of done twice.
        await manager.query(`UPDATE billing_operations SET status = 'queued', error = NULL, completed_at = NULL, created_at = now() WHERE id = $1`, [repeat.id]);
        return { id: Number(repeat.id), idempotencyKey: repeat.idempotency_key };
      }
      if (repeat) return { existing: repeat };
      const [row] = await queryRows<{ id: string; idempotency_key: string }>(
        manager,
        `INSERT INTO billing_operations (vendor_id, kind, params, request_hash, client_key, status)
         VALUES ($1, $2, $3::jsonb, $4, $5, 'queued')
         RETURNING id, idempotency_key`,
        [input.vendorId, input.kind, JSON.stringify(input.params), hash, input.clientKey ?? null],
      );
      return { id: Number(row.id), idempotencyKey: row.idempotency_key };
    });
  }

  /** The outcome of an operation another request started: waits for it like for a turn. */
  private async awaitDone(id: number): Promise<OperationRow> {
    const deadline = Date.now() + REPEAT_WAIT_MAX_MS;
    for (;;) {
      const [row] = await this.dataSource.query<OperationRow[]>(`SELECT id, status, request_hash, response, error FROM billing_operations WHERE id = $1`, [id]);
      if (row.status !== 'queued' && row.status !== 'running') return row;
      if (Date.now() > deadline) throw new ConflictError('The same request is still in progress; try again in a moment.');
      await sleep(POLL_MS);
    }
  }

  private answerOf<T>(row: OperationRow): T {
    if (row.status === 'failed' && row.error) throw new DomainError(row.error.code, row.error.message, row.error.details);
    if (row.status === 'abandoned') throw new ConflictError('The same request was abandoned; send it again.');
    return row.response as T;
  }
}
