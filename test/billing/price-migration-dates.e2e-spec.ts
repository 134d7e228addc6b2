// The date a vendor moves to its new price (CONTRACT §11): its first renewal at least the notice ahead, counted as
// Stripe counts periods — whole months or years from the period's end, in UTC, a month-end anchor kept on shorter
// months — by the one SQL expression the preview and the listing statement both use.
import { firstRenewalSql } from '@app/subscription';
import pg from 'pg';
import { createTestDatabase } from '../support/database.js';

describe('price migration: the effective date', () => {
  let db: pg.Client;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: await createTestDatabase() });
    await db.connect();
    // The session's time zone must not move a renewal: Stripe counts in UTC.
    await db.query(`SET TIME ZONE 'Pacific/Auckland'`);
  });
  afterAll(() => db.end());

  const renewal = async (periodEnd: string, annual: boolean, notBefore: string): Promise<string> => {
    const { rows } = await db.query(`SELECT ${firstRenewalSql('$1::timestamptz', '$2::boolean', '$3::timestamptz')} AS at`, [periodEnd, annual, notBefore]);
    return (rows[0].at as Date).toISOString();
  };

  it.each([
    ['the period end itself when it is far enough ahead', '2026-12-20T10:00:00Z', false, '2026-12-08T10:00:00Z', '2026-12-20T10:00:00.000Z'],
    ['the period end when the notice ends exactly then', '2026-12-20T10:00:00Z', false, '2026-12-20T10:00:00Z', '2026-12-20T10:00:00.000Z'],
    ['the next renewal when the notice passes the period end', '2026-12-20T10:00:00Z', false, '2027-01-07T10:00:00Z', '2027-01-20T10:00:00.000Z'],
    ['several months on for a long notice', '2026-12-20T10:00:00Z', false, '2027-06-21T00:00:00Z', '2027-07-20T10:00:00.000Z'],
    ['a month-end anchor on the last day of February, then the 31st again', '2027-01-31T00:00:00Z', false, '2027-02-10T00:00:00Z', '2027-02-28T00:00:00.000Z'],
    ['a month-end anchor two months on', '2027-01-31T00:00:00Z', false, '2027-03-01T00:00:00Z', '2027-03-31T00:00:00.000Z'],
    ['a year for an annual plan', '2026-12-20T10:00:00Z', true, '2027-01-07T10:00:00Z', '2027-12-20T10:00:00.000Z'],
    ['a leap day anchor in a common year', '2028-02-29T12:00:00Z', true, '2028-03-01T00:00:00Z', '2029-02-28T12:00:00.000Z'],
    ['a period end long past (a stale row) moves forward by whole periods', '2025-03-15T08:00:00Z', false, '2026-12-08T00:00:00Z', '2026-12-15T08:00:00.000Z'],
  ])('%s', async (_, periodEnd, annual, notBefore, expected) => {
    expect(await renewal(periodEnd as string, annual as boolean, notBefore as string)).toBe(expected);
  });
});
