import type { EntityManager } from 'typeorm';
import type { JobResult } from './job-runner.service.js';

/** Pages of a table, `[from, to)`, as the `tid` bounds of a TID range scan (`ctid >= $from AND ctid < $to`). */
export interface PageRange {
  from: string;
  to: string;
}

export interface PageBatchOptions {
  /** What one batch should take (its rows stay locked that long): the next batches' size is scaled towards it. */
  targetMs?: number;
  /** The first batch's size in pages (a page of vendor_subscriptions holds about 37 plans). */
  firstPages?: number;
  maxPages?: number;
  /** Batches in flight at once, each on its own connection (disjoint pages, so they never wait on each other). */
  concurrency?: number;
}

export interface PageBatchOutcome {
  /** The sums of every batch's counts (`rows`: the rows the job changed, its run's `rows_affected`). */
  totals: Record<string, number>;
  batches: number;
  /** The longest batch, commit included: how long its rows were locked at most. */
  longestMs: number;
}

/**
 * A job that failed after some of its batches committed: what they did stays done (each batch is its own
 * transaction), and the run's record says how much that was. The next run goes on from there: the jobs' statements
 * select what is still due, so a batch done twice finds nothing.
 */
export class JobProgressError extends Error {
  constructor(
    cause: unknown,
    readonly progress: JobResult,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export const DEFAULT_BATCH_TARGET_MS = 40;

/**
 * Runs `batch` over a table's pages in ranges, each range one statement of its own (so its own short
 * transaction), from the first page to the last (read again at the end: rows an update moved past it are visited
 * too). A set-based job this way never holds a row locked for longer than one batch, instead of for the whole job.
 * The ranges are of pages, not of keys: a TID range scan reads exactly those pages, so all batches together read
 * the table once, as one sequential scan would, and need no index on what the job selects by. The size adapts:
 * the next batch's pages are scaled (halved to doubled) by how the last batch's time compared with `targetMs`.
 * `concurrency` batches run at once (two by default: the statements are CPU-bound, and one core does the rest).
 */
export async function runInPageBatches(
  manager: EntityManager,
  table: string,
  batch: (manager: EntityManager, pages: PageRange) => Promise<Record<string, number>>,
  options: PageBatchOptions = {},
): Promise<PageBatchOutcome> {
  const targetMs = options.targetMs ?? DEFAULT_BATCH_TARGET_MS;
  const maxPages = options.maxPages ?? 512;
  const outcome: PageBatchOutcome = { totals: {}, batches: 0, longestMs: 0 };
  let size = options.firstPages ?? 16;
  let next = 0;
  let end = await pageCount(manager, table);
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed) {
      if (next >= end) {
        // The last range is done: rows moved past the old end (a non-HOT update) get their turn too.
        end = await pageCount(manager, table);
        if (next >= end) return;
      }
      const from = next;
      const to = Math.min(from + size, end);
      next = to;
      const started = performance.now();
      try {
        const counts = await batch(manager, { from: `(${from},0)`, to: `(${to},0)` });
        for (const [key, value] of Object.entries(counts)) outcome.totals[key] = (outcome.totals[key] ?? 0) + value;
      } catch (error) {
        failed ??= { error };
        return;
      }
      const ms = performance.now() - started;
      outcome.batches++;
      outcome.longestMs = Math.max(outcome.longestMs, ms);
      size = Math.max(1, Math.min(maxPages, Math.round(size * Math.min(2, Math.max(0.5, targetMs / Math.max(ms, 1))))));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  if (failed) {
    const { rows = 0, ...counts } = outcome.totals;
    throw new JobProgressError(failed.error, { rowsAffected: rows, details: { ...counts, batches: outcome.batches } });
  }
  return outcome;
}

async function pageCount(manager: EntityManager, table: string): Promise<number> {
  const [row] = await manager.query(`SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int AS pages`, [table]);
  return row.pages;
}
