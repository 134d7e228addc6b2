import { INFRASTRUCTURE_TIERS, infrastructureTierFor } from './infrastructure-tiers.js';

describe('infrastructureTierFor', () => {
  it('puts 150 vendors on Medium with the next trigger at 300', () => {
    const { current, next } = infrastructureTierFor(150);
    expect(current.name).toBe('Medium');
    expect(next?.minClients).toBe(300);
  });

  it('moves up exactly at a boundary', () => {
    expect(infrastructureTierFor(49).current.name).toBe('Starter');
    expect(infrastructureTierFor(50).current.name).toBe('Small');
    expect(infrastructureTierFor(0).current.name).toBe('Starter');
  });

  it('runs on PostgreSQL at every size, embedded for the smallest', () => {
    for (const t of INFRASTRUCTURE_TIERS) expect(t.database).toMatch(/PostgreSQL/);
    expect(INFRASTRUCTURE_TIERS[0].database).toMatch(/embedded/);
    expect(JSON.stringify(INFRASTRUCTURE_TIERS)).not.toMatch(/SQLite|Redis/);
  });

  it('has no next tier past 1000 clients', () => {
    expect(infrastructureTierFor(1_000_000)).toMatchObject({ current: { name: 'Enterprise' }, next: null });
  });
});
