import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { collectDefaultMetrics } from 'prom-client';
import { createRootLogger, exitOnInvalidEnvironment } from '@app/common';

exitOnInvalidEnvironment();
collectDefaultMetrics();
// Imported after the check: importing the app module validates the environment again, with a stack trace.
const { createApiApp } = await import('./app.factory.js');
const app = await createApiApp();
const port = app.get(ConfigService).get<number>('PORT', 3000);
try {
  await app.listen(port, '0.0.0.0'); // Fastify binds to localhost unless told otherwise; containers need every interface
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? 'is already in use (another `npm start`, or another program)' : `cannot be used (${code ?? (error as Error).message})`;
  console.error(`API: port ${port} ${why}: stop that, or set PORT to a free port.`);
  process.exit(1);
}
const base = `http://localhost:${port}`;
createRootLogger(process.env.LOG_LEVEL, 'api').info(
  `API listening on ${base} (OpenAPI docs ${base}/api/docs, vendor billing page ${base}/vendor/<vendor_code>/billing, admin console ${base}/admin, metrics /metrics, probes /health/live and /health/ready)`,
);
// Started by `npm start`: if that process dies without stopping us (SIGKILL), stop too rather than run on as an orphan.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
