import { readdirSync, readFileSync } from 'node:fs';

/**
 * PostgreSQL's CPU during a turn, from /proc (Linux; elsewhere nothing is counted): a snapshot of each of its
 * processes' CPU seconds (user + system), and the difference of two snapshots over the processes alive at the
 * second. Autovacuum workers are left out: they come and go on their own schedule, and whichever turn they end in
 * would lose (or gain) their seconds.
 */
export type PostgresCpu = Map<number, number>;

export function postgresCpu(postmaster: number): PostgresCpu {
  const out: PostgresCpu = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.split(') ')[1].split(' ');
      if (Number(entry) !== postmaster && Number(fields[1]) !== postmaster) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('autovacuum')) continue;
      out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds between two snapshots (a process new since the first counts from zero). */
export function cpuSecondsBetween(before: PostgresCpu, after: PostgresCpu): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** The postmaster of the backend whose pid is given (its parent). */
export function postmasterOf(backendPid: number): number {
  return Number(readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
}
