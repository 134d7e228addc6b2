import request from 'supertest';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

const NOW = new Date('2026-03-15T12:20:00Z');

// CONTRACT §7 GET /jobs/schedule: each job's cron, next and last run, and the worker's heartbeat.
describe('admin jobs schedule', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'ops@platform.test', ADMIN_PASSWORD: 'admin-password-1', CRON_CLEANUP_STALE_SUBSCRIPTIONS: '30 2 * * 1' });
    admin = (await request(t.http).post('/api/v1/auth/login').send({ email: 'ops@platform.test', password: 'admin-password-1' })).body.access_token;
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    t.clock.set(NOW);
    await t.db.query(`DELETE FROM job_runs; DELETE FROM worker_heartbeats`);
  });

  const schedule = () => api(t, admin).get('/api/v1/admin/jobs/schedule');

  it('lists every job with its cron and next run in UTC, and says no worker has been seen', async () => {
    const res = await schedule();
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { name: 'reset-period-counters', cron: '5 0 * * *', next_run_at: '2026-03-16T00:05:00.000Z', last_run: null },
      { name: 'check-trial-expirations', cron: '0 1 * * *', next_run_at: '2026-03-16T01:00:00.000Z', last_run: null },
      { name: 'sync-stripe-status', cron: '0 * * * *', next_run_at: '2026-03-15T13:00:00.000Z', last_run: null },
      // This process's CRON_* override, as no worker has reported its own.
      { name: 'cleanup-stale-subscriptions', cron: '30 2 * * 1', next_run_at: '2026-03-16T02:30:00.000Z', last_run: null },
      { name: 'capture-capacity-snapshot', cron: '0 0 * * *', next_run_at: '2026-03-16T00:00:00.000Z', last_run: null },
    ]);
    expect(res.body.worker).toEqual({ last_seen_at: null, alive: false, workers: [] });
  });

  it('shows each job\'s latest run, an interrupted one as failed', async () => {
    await t.db.query(`INSERT INTO job_runs (name, status, started_at, finished_at, rows_affected, error) VALUES
      ('capture-capacity-snapshot', 'succeeded', '2026-03-14T00:00:00Z', '2026-03-14T00:00:01Z', 1, NULL),
      ('capture-capacity-snapshot', 'succeeded', '2026-03-15T00:00:00Z', '2026-03-15T00:00:02Z', 1, NULL),
      ('reset-period-counters', 'failed', '2026-03-15T00:05:00Z', '2026-03-15T00:06:00Z', 0, 'interrupted: the process running it stopped before it finished')`);
    const items = (await schedule()).body.items;
    expect(items.find((j: { name: string }) => j.name === 'capture-capacity-snapshot').last_run).toMatchObject({ status: 'succeeded', started_at: '2026-03-15T00:00:00.000Z', rows_affected: 1 });
    expect(items.find((j: { name: string }) => j.name === 'reset-period-counters').last_run).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
  });

  it('reports the worker alive from a heartbeat in the last three minutes, with the schedules it registered', async () => {
    await t.db.query(`INSERT INTO worker_heartbeats (worker_id, started_at, last_seen_at, schedules) VALUES
      ('host-a:100', '2026-03-15T08:00:00Z', '2026-03-15T12:19:00Z', '{"sync-stripe-status": "*/15 * * * *"}'),
      ('host-b:200', '2026-03-14T08:00:00Z', '2026-03-15T09:00:00Z', '{}')`);
    const res = await schedule();
    expect(res.body.worker).toEqual({
      last_seen_at: '2026-03-15T12:19:00.000Z',
      alive: true,
      workers: [
        { worker_id: 'host-a:100', started_at: '2026-03-15T08:00:00.000Z', last_seen_at: '2026-03-15T12:19:00.000Z', alive: true },
        { worker_id: 'host-b:200', started_at: '2026-03-14T08:00:00.000Z', last_seen_at: '2026-03-15T09:00:00.000Z', alive: false },
      ],
    });
    expect(res.body.items.find((j: { name: string }) => j.name === 'sync-stripe-status')).toMatchObject({ cron: '*/15 * * * *', next_run_at: '2026-03-15T12:30:00.000Z' });

    t.clock.set(new Date(NOW.getTime() + 4 * 60_000));
    expect((await schedule()).body.worker).toMatchObject({ last_seen_at: '2026-03-15T12:19:00.000Z', alive: false });
    const health = await api(t, admin).get('/api/v1/admin/platform-health/health');
    expect(health.body).toMatchObject({ status: 'degraded', worker: { last_seen_at: '2026-03-15T12:19:00.000Z', alive: false } });
  });
});
