import type { FastifyInstance } from 'fastify';
import { Histogram, register } from 'prom-client';

// Created once per process (module scope): prom-client refuses a second metric of the same name.
const httpDuration =
  (register.getSingleMetric('http_request_duration_seconds') as Histogram<'method' | 'route' | 'status'> | undefined) ??
  new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });

/**
 * Times every request from Fastify's own clock (`reply.elapsedTime`, no timer object per request); the label is the
 * route template (`/api/v1/vendor/products/:id`), never the raw URL, to bound cardinality.
 */
export function registerHttpMetrics(fastify: FastifyInstance): void {
  // One labelled child per (method, route, status), bound once: observing is then a bucket increment, without
  // hashing a label object per request. The set is bounded by the routes and the statuses they answer.
  const series = new Map<string, { observe(seconds: number): void }>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let child = series.get(key);
    if (!child) {
      child = httpDuration.labels(request.method, route, String(reply.statusCode));
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}
