// The worker side of `npm run bench:price-migration`, in a process of its own: the worker's modules (as `npm run job`
// builds them) and PriceMigrationRunner's rounds until nothing is due — the same rounds the worker's loop runs —
// while process.memoryUsage() is sampled every BENCH_SAMPLE_MS. Prints one JSON line: duration and the samples.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { PriceMigrationRunner } from '@app/subscription';
import { WorkerJobsModule } from '../apps/worker/src/worker-jobs.module.js';

const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 250);

const app = await NestFactory.createApplicationContext(WorkerJobsModule, { logger: ['error'] });
const runner = app.get(PriceMigrationRunner);
const samples: Array<{ t: number; rss: number; heap: number }> = [];
const started = performance.now();
const sample = () => {
  const m = process.memoryUsage();
  samples.push({ t: Math.round(performance.now() - started), rss: m.rss, heap: m.heapUsed });
};
sample();
const timer = setInterval(sample, SAMPLE_MS);
await runner.runUntilIdle();
clearInterval(timer);
sample();
process.stdout.write(`${JSON.stringify({ durationMs: performance.now() - started, samples })}\n`);
await app.close();
process.exit(0);
