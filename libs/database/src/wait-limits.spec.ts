import { startupLimits, waitExpiredOf, waitLimitsOf } from './wait-limits.js';

describe('wait limits', () => {
  const env: Record<string, number> = {
    DATABASE_STATEMENT_TIMEOUT_MS: 5000, DATABASE_LOCK_TIMEOUT_MS: 3000, WORKER_STATEMENT_TIMEOUT_MS: 600_000, WORKER_LOCK_TIMEOUT_MS: 60_000,
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 30_000,
  };

  it("reads each role's own limits and turns them into startup parameters", () => {
    expect(startupLimits(waitLimitsOf('api', (n) => env[n]))).toEqual({ statement_timeout: 5000, lock_timeout: 3000, idle_in_transaction_session_timeout: 30_000 });
    expect(startupLimits(waitLimitsOf('worker', (n) => env[n]))).toEqual({ statement_timeout: 600_000, lock_timeout: 60_000, idle_in_transaction_session_timeout: 30_000 });
  });

  it('names the limit that passed, with the locked relation and the statement, for the log', () => {
    const lock = { name: 'QueryFailedError', message: 'canceling statement due to lock timeout', query: 'UPDATE vendor_subscriptions\n   SET x = 1 WHERE vendor_id = $1', driverError: { code: '55P03', where: 'while updating tuple (0,5) in relation "vendor_subscriptions"' } };
    expect(waitExpiredOf(lock)).toEqual({ kind: 'lock_timeout', sqlstate: '55P03', where: 'while updating tuple (0,5) in relation "vendor_subscriptions"', statement: 'UPDATE vendor_subscriptions SET x = 1 WHERE vendor_id = $1' });
    expect(waitExpiredOf({ code: '57014', message: 'canceling statement due to statement timeout' })).toMatchObject({ kind: 'statement_timeout' });
    expect(waitExpiredOf({ code: '57014', message: 'canceling statement due to user request' })).toMatchObject({ kind: 'query_canceled' });
    expect(waitExpiredOf({ code: '25P03' })).toMatchObject({ kind: 'idle_in_transaction_timeout' });
    expect(waitExpiredOf({ code: '23505' })).toBeUndefined();
    expect(waitExpiredOf(new Error('boom'))).toBeUndefined();
  });
});
