// The worker: is it alive, what runs when, what ran, and a capacity snapshot by hand.
import { errorLines, get, post } from './admin-api.js';
import { badge, card, confirmAction, dateTime, fill, h, relative, showMessage, table } from './admin-dom.js';

export async function renderJobs(view) {
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  const [schedule, runs] = await Promise.all([get('/admin/jobs/schedule'), get('/admin/jobs?limit=50')]);
  const w = schedule.worker;
  const worker = card('Worker', 'worker',
    h('p', {}, badge(w.alive ? 'alive' : w.last_seen_at ? 'dead' : 'unknown', w.alive ? 'ok' : 'bad'), ' ',
      w.last_seen_at ? `Last heartbeat ${relative(w.last_seen_at)} (${dateTime(w.last_seen_at)}).` : 'No worker has reported a heartbeat to this database.'),
    table(['Process', 'Started', 'Last seen', ''], w.workers.map((p) => [h('code', {}, p.worker_id), dateTime(p.started_at), relative(p.last_seen_at), badge(p.alive ? 'alive' : 'dead', p.alive ? 'ok' : 'bad')]), ''),
    h('button', { type: 'button', id: 'capture-snapshot', onclick: async () => {
      if (!(await confirmAction('Capture a capacity snapshot now?', "Runs capture-capacity-snapshot now; today's row is written or updated, and the run is listed below."))) return;
      try {
        const s = await post('/admin/platform-health/snapshot');
        await renderJobs(view);
        showMessage('success', `Snapshot of ${s.snapshot_date} captured: ${s.total_vendors} vendors, ${s.active_vendors} active.`);
      } catch (err) {
        showMessage('error', err.message, errorLines(err));
      }
    } }, 'Capture capacity snapshot now'));

  const plan = card('Schedule (UTC)', 'schedule', table(['Job', 'Cron', 'Next run', 'Last run'], schedule.items.map((j) => [
    h('strong', {}, j.name), h('code', {}, j.cron), j.next_run_at ? `${dateTime(j.next_run_at)} (${relative(j.next_run_at)})` : '—',
    j.last_run ? h('span', {}, badge(j.last_run.status), ` ${relative(j.last_run.started_at)}`, j.last_run.error ? h('div', { class: 'error-text' }, j.last_run.error) : null) : h('span', { class: 'muted' }, 'never'),
  ])));

  const recent = card('Recent runs', 'job-runs', table(['Started', 'Job', 'Status', 'Rows', 'Took', 'Note'], runs.items.map((r) => [
    dateTime(r.started_at), r.name, badge(r.status), String(r.rows_affected),
    r.details && typeof r.details.duration_ms === 'number' ? `${r.details.duration_ms} ms` : '—',
    r.error || (r.details && r.details.trigger === 'manual' ? 'by hand' : r.details && r.details.reason ? String(r.details.reason) : ''),
  ]), 'No runs yet.'));

  fill(view, h('div', { class: 'grid' }, worker, plan, recent));
}
