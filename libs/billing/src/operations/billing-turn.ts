import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '@app/common';
import { AdvisoryLock, queryRows } from '@app/database';
import { DataSource } from 'typeorm';

/** A queued operation whose request is gone (its process died while it waited) stops blocking the queue after this. */
const QUEUED_MAX_S = 120;
/** How long a request waits for the vendor's earlier operations before it gives up (409). */
export const WAIT_MAX_MS = 30_000;
const POLL_MS = 25;

/**
 * The operations that keep operation `$1` of vendor `$2` from taking the turn: one that holds it (running, or
 * Stripe answered and its local write is not done) under a lease that has not run out, or an earlier one still
 * queued. Read at `clock_timestamp()`: the taker's statement may wait on the turn lock first.
 */
const BLOCKERS = `SELECT 1 FROM billing_operations o
   WHERE o.vendor_id = $2 AND o.id <> $1
     AND ((o.status IN ('running', 'stripe_succeeded') AND o.lease_expires_at > clock_timestamp())
       OR (o.status = 'queued' AND o.id < $1 AND o.created_at > clock_timestamp() - make_interval(secs => ${QUEUED_MAX_S})))`;

/** The turn as its holder keeps it: renewed by a timer, and before each Stripe call through `ensure`. */
export interface HeldTurn {
  /** Renews the lease now; throws (409) when the operation no longer holds the turn, so it must not call Stripe. */
  ensure(): Promise<void>;
  /** Stops renewing (the operation wrote its outcome, which released the lease). */
  stop(): void;
}

/**
 * Whose turn it is among one vendor's billing operations (`billing_operations.lease_expires_at`; the table is
 * BillingOperationsService's). The turn is held from the take until the operation's local write is done or it
 * gave up — `stripe_succeeded` still holds it — and its process renews the lease every BILLING_TURN_RENEW_MS,
 * so no timer hands the turn on while the holder lives; a process that died frees it BILLING_TURN_LEASE_MS after
 * its last renewal. Taking and renewing run under the vendor's turn lock (an advisory transaction lock), so two
 * takers can never both find the turn free, and a renewal never revives a lease another operation has taken
 * over. Waiting polls in single statements: no connection is held between tries.
 */
@Injectable()
export class BillingTurn {
  private readonly logger = new Logger(BillingTurn.name);
  readonly leaseMs: number;
  private readonly renewMs: number;

  constructor(@InjectDataSource() private readonly dataSource: DataSource, config: ConfigService) {
    this.leaseMs = config.get<number>('BILLING_TURN_LEASE_MS') ?? 15_000;
    this.renewMs = config.get<number>('BILLING_TURN_RENEW_MS') ?? Math.floor(this.leaseMs / 3);
  }

  /** Waits until no other operation holds the turn and none queued earlier waits, then takes it (409 after WAIT_MAX_MS). */
  async take(vendorId: number, op: number): Promise<void> {
    const deadline = Date.now() + WAIT_MAX_MS;
    for (;;) {
      if ((await this.looksFree(vendorId, op)) && (await this.takeUnderLock(vendorId, op))) return;
      if (Date.now() > deadline) {
        await this.dataSource.query(`UPDATE billing_operations SET status = 'abandoned', completed_at = now() WHERE id = $1 AND status = 'queued'`, [op]);
        throw new ConflictError('Another billing change of this vendor is still in progress; try again in a moment.');
      }
      await sleep(POLL_MS);
    }
  }

  /** Starts renewing the lease of the operation that took the turn. */
  hold(vendorId: number, op: number): HeldTurn {
    let renewing: Promise<boolean> | null = null;
    const renew = () => (renewing ??= this.renew(vendorId, op).finally(() => (renewing = null)));
    // A renewal that finds no lease is not reported here: the operation may just have written its outcome.
    const timer = setInterval(() => {
      renew().catch((error: unknown) => this.logger.warn({ err: error, vendor_id: vendorId, operation_id: op, msg: 'Could not renew a billing operation\'s turn' }));
    }, this.renewMs);
    timer.unref();
    return {
      ensure: async () => {
        if (!(await renew())) throw new ConflictError('This billing change lost its turn to another one; send it again.');
      },
      stop: () => clearInterval(timer),
    };
  }

  /** A cheap look first (one statement, no lock), so waiters poll without queuing on the turn lock. */
  private async looksFree(vendorId: number, op: number): Promise<boolean> {
    const [row] = await queryRows<{ free: boolean }>(this.dataSource.manager, `SELECT NOT EXISTS (${BLOCKERS}) AS free`, [op, vendorId]);
    return row.free;
  }

  private takeUnderLock(vendorId: number, op: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1, $2)`, [AdvisoryLock.BillingTurn, vendorId]);
      const taken = await queryRows(
        manager,
        `UPDATE billing_operations SET status = 'running', started_at = clock_timestamp(), lease_expires_at = clock_timestamp() + make_interval(secs => $3)
          WHERE id = $1 AND status = 'queued' AND NOT EXISTS (${BLOCKERS})
          RETURNING id`,
        [op, vendorId, this.leaseMs / 1000],
      );
      return taken.length === 1;
    });
  }

  /** A lease that has not run out is extended; one that has is not revived (another operation may hold the turn). */
  private renew(vendorId: number, op: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1, $2)`, [AdvisoryLock.BillingTurn, vendorId]);
      const renewed = await queryRows(
        manager,
        `UPDATE billing_operations SET lease_expires_at = clock_timestamp() + make_interval(secs => $2)
          WHERE id = $1 AND status IN ('running', 'stripe_succeeded') AND lease_expires_at > clock_timestamp()
          RETURNING id`,
        [op, this.leaseMs / 1000],
      );
      return renewed.length === 1;
    });
  }
}
