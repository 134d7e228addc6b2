import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder under the run's own temporary folder (VB_TEST_TMP, made by the global setup and removed, with
 * everything in it, by the global teardown), so a test run leaves no folders behind. Mode 755: when the tests
 * run as root, the embedded PostgreSQL's `postgres` user must be able to enter it.
 */
export function testTempDir(prefix: string): string {
  const parent = process.env.VB_TEST_TMP ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, 0o755);
  return dir;
}
