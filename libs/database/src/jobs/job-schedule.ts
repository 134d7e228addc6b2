import { CronTime } from 'cron';

export interface JobScheduleEntry {
  /** A cron expression (5 fields, or 6 with seconds), evaluated in UTC. */
  defaultSchedule: string;
  /** The environment variable that overrides it. */
  scheduleVariable: string;
}

/**
 * The worker's jobs and their default schedules: the one list the worker registers, `npm run job` accepts and
 * the admin schedule shows. Why each runs when it does is said beside its job (apps/worker/src/jobs).
 */
export const JOB_SCHEDULE = {
  'reset-period-counters': { defaultSchedule: '5 0 * * *', scheduleVariable: 'CRON_RESET_PERIOD_COUNTERS' },
  'check-trial-expirations': { defaultSchedule: '0 1 * * *', scheduleVariable: 'CRON_CHECK_TRIAL_EXPIRATIONS' },
  'sync-stripe-status': { defaultSchedule: '0 * * * *', scheduleVariable: 'CRON_SYNC_STRIPE_STATUS' },
  'cleanup-stale-subscriptions': { defaultSchedule: '0 0 * * 0', scheduleVariable: 'CRON_CLEANUP_STALE_SUBSCRIPTIONS' },
  'capture-capacity-snapshot': { defaultSchedule: '0 0 * * *', scheduleVariable: 'CRON_CAPTURE_CAPACITY_SNAPSHOT' },
} as const satisfies Record<string, JobScheduleEntry>;

export type JobName = keyof typeof JOB_SCHEDULE;
export const JOB_NAMES = Object.keys(JOB_SCHEDULE) as JobName[];

/** The next time a cron expression fires after `from`, in UTC; null for an expression cron cannot read. */
export function nextRunAt(cron: string, from: Date): Date | null {
  try {
    return new CronTime(cron, 'UTC').getNextDateFrom(from).toJSDate();
  } catch {
    return null;
  }
}
