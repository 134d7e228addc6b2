// node scripts/cpu-profile-summary.mjs <file.cpuprofile> [--top N] [--skip S]
// Self time of a V8 CPU profile (`node --cpu-prof`) split by what the code belongs to: the framework, validation,
// auth, logging, metrics, the Stripe SDK, the SQL client, our own code. Node's internals and native functions
// (JSON.parse, HMAC, Buffer) count for the nearest caller outside them, so `JSON.parse` called by Fastify is
// Fastify's and an HMAC computed for Stripe's verification is the SDK's; what has no such caller (socket reads,
// the HTTP parser, timers) is "Node.js I/O and HTTP".
import { readFileSync } from 'node:fs';

const CATEGORIES = [
  ['validation (class-validator, class-transformer, our pipe)', /node_modules\/(class-validator|class-transformer|validator)\/|apps\/api\/src\/common\/(validation|input)|\/apps\/api\/src\/.*\.(pipe|dto)\./],
  ['auth (JWT, auth guard)', /node_modules\/(jsonwebtoken|jws|jwa|@nestjs\/jwt|bcrypt|bcryptjs)\/|apps\/api\/src\/auth\/|libs\/platform\/src\/auth\//],
  ['logging (pino, request log)', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|@pinojs)\/|request-logging|libs\/common\/src\/logging/],
  ['metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\/|http-metrics|metrics\//],
  ['Stripe SDK (webhook verification, parse)', /node_modules\/stripe\//],
  ['SQL client (pg, TypeORM)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|pgpass|postgres-[a-z]+|typeorm|@nestjs\/typeorm)\//],
  ['Nest (router, guards, pipes, interceptors, filter)', /node_modules\/@nestjs\/(core|common|platform-fastify|config|terminus|swagger)\/|node_modules\/(rxjs|reflect-metadata|tslib)\//],
  ['Fastify (routing, hooks, body parsing, reply)', /node_modules\/(fastify|find-my-way|@fastify\/[^/]+|avvio|light-my-request|fast-json-stringify|fast-querystring|secure-json-parse|toad-cache|abstract-logging|process-warning|rfdc|fast-decode-uri-component|ret|safe-regex2)\//],
  ['our code: billing, subscription, webhooks (libs/)', /\/libs\//],
  ['our code: API (apps/)', /\/apps\//],
  ['other packages', /node_modules\//],
];
const SPECIAL = { '(garbage collector)': 'garbage collection', '(idle)': 'idle', '(program)': 'V8/Node (program)', '(root)': 'V8/Node (program)' };

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/cpu-profile-summary.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}
const option = (name) => (rest.includes(name) ? Number(rest[rest.indexOf(name) + 1]) || 0 : 0);
const top = option('--top');
// Seconds from the start to leave out: start-up (module loading, compiling) is not the request path.
const skipUs = option('--skip') * 1e6;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const own = (node) => {
  const { url, functionName } = node.callFrame;
  if (SPECIAL[functionName]) return SPECIAL[functionName];
  if (!url || url.startsWith('node:')) return undefined; // attributed to the caller
  const path = url.replace(/^file:\/\//, '');
  for (const [name, pattern] of CATEGORIES) if (pattern.test(path)) return name;
  return 'other';
};
const memo = new Map();
const categoryOf = (id) => {
  if (memo.has(id)) return memo.get(id);
  const node = byId.get(id);
  let category = own(node);
  if (!category) category = parent.has(id) ? categoryOf(parent.get(id)) : 'Node.js I/O and HTTP';
  if (category === 'V8/Node (program)' && node.callFrame.functionName === '(root)') category = 'Node.js I/O and HTTP';
  memo.set(id, category);
  return category;
};
// Nodes under (root) with no user-land ancestor come out as '(root)'s category: call that Node's own work.
const selfUs = new Map();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at - profile.startTime >= skipUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totals = new Map();
const functions = new Map();
let busy = 0;
for (const [id, us] of selfUs) {
  const category = categoryOf(id);
  totals.set(category, (totals.get(category) ?? 0) + us);
  if (category !== 'idle') busy += us;
  const f = byId.get(id).callFrame;
  const key = `${category} | ${f.functionName || '(anonymous)'} ${(f.url || '').replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(apps|libs)\//, '$1/')}:${f.lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}
const wall = profile.endTime - profile.startTime - skipUs;
console.log(`${file}: ${(wall / 1e6).toFixed(1)} s profiled${skipUs ? ` (after the first ${skipUs / 1e6} s)` : ''}, ${(busy / 1e6).toFixed(1)} s on CPU (${((busy / wall) * 100).toFixed(0)}%)`);
const rows = [...totals].filter(([c]) => c !== 'idle').sort((a, b) => b[1] - a[1]);
console.log('| share of CPU | category | CPU s |\n| ---: | --- | ---: |');
for (const [category, us] of rows) console.log(`| ${((us / busy) * 100).toFixed(1)}% | ${category} | ${(us / 1e6).toFixed(2)} |`);
if (top) {
  console.log(`\ntop ${top} functions by self time:`);
  for (const [key, us] of [...functions].filter(([k]) => !k.startsWith('idle')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
