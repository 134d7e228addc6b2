import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The operations files, checked by reading them (no Docker engine runs here): docker-compose.yml's services,
// wiring and variables, and that every path the Dockerfile copies or runs exists or is built by `npm run build`.

const root = process.cwd();
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  ports?: string[];
  volumes?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** CONTRACT §1's environment table, less the optional STRIPE_API_* (a test double's, not production's). */
const CONTRACT_VARIABLES = [
  'PORT',
  'DATABASE_URL',
  'DATABASE_DIRECT_URL',
  'METRICS_TOKEN',
  'PLATFORM_WEBHOOK_URL',
  'PLATFORM_WEBHOOK_SECRET',
  'JWT_SECRET',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'APP_BASE_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_PUBLISHABLE_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_TRIAL_DAYS',
  'STRIPE_AUTOMATIC_TAX',
  'PAST_DUE_GRACE_DAYS',
];
const SECRETS = ['JWT_SECRET', 'ADMIN_PASSWORD', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'METRICS_TOKEN', 'PLATFORM_WEBHOOK_SECRET'];

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `$$`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g, (match, name: string | undefined, colon: string, op: string, arg: string) => {
    if (match === '$$') return '$';
    const set = name! in env && (colon ? env[name!] !== '' : true);
    if (set) return env[name!];
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return op === '-' ? arg : '';
  });
}

const service = (name: string): Service => compose.services[name];
const commandOf = (s: Service) => (Array.isArray(s.command) ? s.command : String(s.command ?? '').split(/\s+/));
const testOf = (s: Service) => [s.healthcheck?.test ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  it('runs postgres, the api and the worker (plus a one-shot migrate)', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'migrate', 'postgres', 'worker']);
    expect(service('postgres').image).toMatch(/^postgres:18(\b|$)/);
    expect(service('migrate').restart).toBe('no');
    expect(commandOf(service('migrate'))).toEqual(['node', 'scripts/migrate.mjs', 'run']);
  });

  it('builds the api, worker and migrate services from the one Dockerfile into one image', () => {
    const apps = ['api', 'worker', 'migrate'].map(service);
    for (const s of apps) {
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(s.image).toBe(apps[0].image);
    }
    expect(apps[0].image).toBeTruthy();
  });

  it('has health checks: pg_isready on postgres, the readiness probe on the api', () => {
    expect(testOf(service('postgres'))).toContain('pg_isready');
    expect(testOf(service('api'))).toContain('/health/ready');
    expect(service('api').ports).toEqual(['${PORT:-3000}:${PORT:-3000}']);
  });

  it('keeps the database in a named volume at the PostgreSQL 18 location', () => {
    expect(service('postgres').volumes).toEqual(['postgres-data:/var/lib/postgresql']);
    expect(Object.keys(compose.volumes ?? {})).toContain('postgres-data');
  });

  it('starts the api and worker only on a healthy, migrated database', () => {
    for (const name of ['api', 'worker']) {
      expect(service(name).depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    expect(service('migrate').depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('hands every contract variable to the api, and the database, Stripe and platform-event ones to the worker', () => {
    const api = service('api').environment ?? {};
    for (const name of CONTRACT_VARIABLES) expect(Object.keys(api)).toContain(name);
    expect(api.NODE_ENV).toBe('production');

    const worker = service('worker').environment ?? {};
    for (const name of ['DATABASE_URL', 'DATABASE_DIRECT_URL', 'JWT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_TRIAL_DAYS', 'PAST_DUE_GRACE_DAYS', 'PLATFORM_WEBHOOK_URL', 'PLATFORM_WEBHOOK_SECRET']) {
      expect(Object.keys(worker)).toContain(name);
    }
    expect(worker.NODE_ENV).toBe('production');
  });

  it('takes secrets only from the environment, never as literals, and requires the JWT secret', () => {
    for (const name of SECRETS) {
      const value = String(service('api').environment?.[name]);
      expect(value).toMatch(new RegExp(`^\\$\\{${name}(:?[-?][^}]*)?\\}$`));
      expect(value).not.toMatch(/:-.+\}/); // no default value for a secret
    }
    expect(() => interpolate(String(service('api').environment?.JWT_SECRET), {})).toThrow(/JWT_SECRET is required/);
    expect(() => interpolate(String(service('postgres').environment?.POSTGRES_PASSWORD), {})).toThrow(/POSTGRES_PASSWORD is required/);
  });

  it('points DATABASE_URL at the postgres service with its user, password and database', () => {
    const env = { POSTGRES_PASSWORD: 'pw-123', JWT_SECRET: 'x'.repeat(40) };
    const pg = service('postgres').environment ?? {};
    for (const name of ['api', 'worker', 'migrate']) {
      const url = new URL(interpolate(String(service(name).environment?.DATABASE_URL), env));
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('postgres');
      expect(url.port).toBe('5432');
      expect(url.username).toBe(interpolate(String(pg.POSTGRES_USER), env));
      expect(url.password).toBe('pw-123');
      expect(url.pathname).toBe(`/${interpolate(String(pg.POSTGRES_DB), env)}`);
    }
  });

  it('runs the api entry in the api service and the worker entry in the worker service', () => {
    expect(commandOf(service('api'))).toEqual(['node', 'dist/apps/api/src/main.js']);
    expect(commandOf(service('worker'))).toEqual(['node', 'dist/apps/worker/src/main.js']);
  });
});

describe('Dockerfile', () => {
  const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM /i.test(l));
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('is multi-stage, installs from the lockfile and ends on node:20-slim with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20-slim/);
    expect(stages[stages.length - 1]).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/);
    expect(dockerfile).toMatch(/RUN npm ci --ignore-scripts/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a non-root user in production on port 3000, the API by default', () => {
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/NODE_ENV=production/);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/apps\/api\/src\/main\.js"\]$/m);
  });

  it('copies only files that exist in the repository (and keeps secrets and local state out of the context)', () => {
    const copies = lines.filter((l) => /^COPY /i.test(l) && !/--from=/.test(l));
    expect(copies.length).toBeGreaterThan(0);
    for (const line of copies) {
      const parts = line.replace(/^COPY\s+/i, '').split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
    }
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.data', '.git', '.env']) expect(ignored).toContain(entry);
  });

  it('ships what the services run: `npm run build` produces the api and worker entries, and migrate.mjs finds its lib', async () => {
    const { compile } = (await import(join(root, 'scripts', 'compile.mjs'))) as { compile(outDir: string): Promise<number> };
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const out = mkdtempSync(join(cache, 'vb-ops-build-'));
    try {
      await compile(join(out, 'dist'));
      const ran = [
        ...['api', 'worker', 'migrate'].map((name) => commandOf(service(name))[1]),
        dockerfile.match(/^CMD \["node", "([^"]+)"\]$/m)![1],
      ];
      for (const path of ran) {
        const inImage = path.startsWith('dist/') ? join(out, path) : join(root, path);
        expect({ path, exists: existsSync(inImage) }).toEqual({ path, exists: true });
        if (!path.startsWith('dist/')) expect(runtime).toContain(`COPY ${path} ./${path}`);
      }
      // The one-off commands the compose file documents run built files too.
      const documented = [...readFileSync(join(root, 'docker-compose.yml'), 'utf8').matchAll(/docker compose run --rm \w+ node (\S+)/g)].map((m) => m[1]);
      expect(documented.length).toBeGreaterThanOrEqual(3);
      for (const path of documented) {
        expect({ path, exists: existsSync(path.startsWith('dist/') ? join(out, path) : join(root, path)) }).toEqual({ path, exists: true });
      }
      // scripts/migrate.mjs imports the built database lib relative to itself.
      const migrate = readFileSync(join(root, 'scripts/migrate.mjs'), 'utf8');
      const imported = migrate.match(/from '\.\.\/(dist\/[^']+)'/)![1];
      expect(existsSync(join(out, imported))).toBe(true);
      // The billing page's files are read from apps/api/public at run time: the image must carry them.
      expect(runtime).toContain('COPY apps/api/public ./apps/api/public');
      expect(existsSync(join(root, 'apps/api/public/billing.html'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
