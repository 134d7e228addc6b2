// The `pgbouncer` jest project: every test app of the file uses PgBouncer (transaction mode) as DATABASE_URL and the
// server as DATABASE_DIRECT_URL. jest gives each test file its own copy of process.env, so this stays in the file.
process.env.TEST_THROUGH_PGBOUNCER = '1';
