import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedRunInfo } from '@app/database';

// `npm start` and the one-off npm scripts exactly as an operator types them, each in its own process group (as a
// terminal runs a command), with only the variables the test names.

const root = process.cwd();

export interface NpmRun {
  child: ChildProcess;
  output(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function npm(args: string[], env: Record<string, string>): NpmRun {
  const child = spawn('npm', args, {
    cwd: root,
    detached: true, // a process group of its own, like a terminal's foreground job: Ctrl-C is kill(-pid, SIGINT)
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => ((output += chunk), (stderr += chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, stderr: () => stderr, exited };
}

/** Resolves with the exit, or rejects with the output after `ms`. */
export async function exitWithin(run: NpmRun, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms:\n${run.output()}`)), ms)));
  return Promise.race([run.exited, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until `url` answers 200 (`npm start` is ready), failing early if the process ends. */
export async function waitReady(url: string, run: NpmRun, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`npm ended before it was ready:\n${run.output()}`);
    // Our API's line first: until then a 200 on the port would be another program's.
    const ok = /API listening on/.test(run.output()) && (await fetch(url).then((r) => r.status === 200, () => false));
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${ms} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function readRunFile(dataDir: string): EmbeddedRunInfo | undefined {
  const file = join(dataDir, 'postgres.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EmbeddedRunInfo) : undefined;
}

/** Every process below `pid` (from /proc), with its command line. */
export function descendants(pid: number): { pid: number; cmd: string }[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found: { pid: number; cmd: string }[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue;
      }
      found.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(pid);
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (ended, not yet reaped by its parent) is not running.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Kills whatever a failed test left: the npm group and the database it started. */
export function killLeftovers(run: NpmRun | undefined, dataDir: string): void {
  const info = readRunFile(dataDir);
  for (const pid of [...(run?.child.pid ? [-run.child.pid] : []), ...(info ? [info.pid] : [])]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
