import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase } from '../support/database.js';

// The rendered `*.queries.sql` files (test/support/queries-file.ts) are what a reviewer reads; their specs prove they
// are what the code composes. This proves each is a statement PostgreSQL accepts against the migrated schema
// (PREPARE parses, resolves every name and type, and plans it without running it), so an alias or column that a
// fragment's caller no longer provides fails here, not on the first event that takes that path.
const root = fileURLToPath(new URL('../..', import.meta.url));

function renderedStatements(): { file: string; method: string; sql: string }[] {
  const files = (readdirSync(join(root, 'libs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.queries.sql')).sort();
  return files.flatMap((f) => {
    const text = readFileSync(join(root, 'libs', f), 'utf8');
    // Each block: a `-- Owner.method` header, the parameter list, then the statement, ending in `;` on its last line.
    return text.split(/;\n/).flatMap((chunk) => {
      const method = chunk.match(/^-- (\w+\.\w+.*)$/m)?.[1];
      const sql = chunk.split('\n').filter((line) => !line.startsWith('--')).join('\n').trim();
      return method && sql ? [{ file: f, method, sql }] : [];
    });
  });
}

describe('rendered statements', () => {
  const statements = renderedStatements();
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: await createTestDatabase() });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('are found in every *.queries.sql file', () => {
    expect(new Set(statements.map((s) => s.file)).size).toBeGreaterThanOrEqual(8);
    expect(statements.length).toBeGreaterThanOrEqual(20);
  });

  it('each prepare against the migrated schema', async () => {
    const refused: string[] = [];
    for (const [i, s] of statements.entries()) {
      try {
        await client.query(`PREPARE rendered_${i} AS ${s.sql}`);
        await client.query(`DEALLOCATE rendered_${i}`);
      } catch (error) {
        refused.push(`${s.file} ${s.method}: ${(error as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
