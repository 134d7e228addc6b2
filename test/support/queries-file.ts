import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SqlParams, type ComposedStatement } from '@app/database';
import { format, type FormatOptionsWithLanguage } from 'sql-formatter';

/**
 * The statements composed at run time, rendered for a reviewer into a checked-in `<owner>.queries.sql` beside their
 * owner (DESIGN.md "Statements a reviewer can read"): one block per variant, a comment naming the method and listing
 * the parameters, the SQL formatted. A `<owner>.queries.spec.ts` builds each variant from fixed inputs (no database)
 * and calls `expectQueriesFile`, which fails when the rendering drifts from the file.
 *
 * Regenerate after a change to a statement: `npm run sql:render` (UPDATE_SQL=1 for the `*.queries.spec.ts` files).
 */
export interface RenderedStatement {
  /** `Owner.method`. */
  method: string;
  /** What sets this variant apart, when the method has several. */
  variant?: string;
  statement: ComposedStatement;
}

/** A statement given as constant text with positional parameters (`names[i]` is `$i+1`). */
export function fixedStatement(text: string, names: string[]): ComposedStatement {
  return { text, params: new SqlParams(names.map(() => null), names) };
}

const FORMAT: FormatOptionsWithLanguage = { language: 'postgresql', tabWidth: 2, keywordCase: 'preserve', expressionWidth: 100, paramTypes: { numbered: ['$'] } };

/** The statement text without any whitespace outside string literals and quoted names: what a formatter may not change. */
function tokens(sql: string): string {
  return sql.replace(/('(?:[^']|'')*'|"(?:[^"]|"")*")|\s+/g, (_m, quoted: string | undefined) => quoted ?? '');
}

function sample(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

function renderBlock({ method, variant, statement }: RenderedStatement): string {
  const formatted = format(statement.text, FORMAT);
  if (tokens(formatted) !== tokens(statement.text)) throw new Error(`${method}: the formatter changed more than whitespace`);
  const { values, described } = statement.params;
  const params = described.map((d, i) => {
    const what = d.name ?? `e.g. ${sample(values[i])}`;
    return `--   $${i + 1}${d.cast ? `::${d.cast}` : ''} = ${what}`;
  });
  const used = new Set([...statement.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  for (const n of used) if (n > described.length) throw new Error(`${method}: $${n} is used but was never added`);
  const head = [`-- ${method}${variant ? ` (variant: ${variant})` : ''}`, ...(params.length ? ['-- parameters:', ...params] : ['-- no parameters'])];
  return `${head.join('\n')}\n${formatted};\n`;
}

/** Renders the blocks; the file's name follows the spec's (`x.queries.spec.ts` → `x.queries.sql`). */
export function expectQueriesFile(specUrl: string, blocks: RenderedStatement[]): void {
  const file = fileURLToPath(specUrl).replace(/\.queries\.spec\.ts$/, '.queries.sql');
  const text = [
    '-- Rendered by the spec beside this file from the code that composes these statements; do not edit.',
    '-- Regenerate: npm run sql:render',
    '',
    blocks.map(renderBlock).join('\n'),
  ].join('\n');
  if (process.env.UPDATE_SQL === '1') {
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run sql:render\` and commit it`);
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    const a = current.split('\n');
    const b = text.split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    const line = at === -1 ? a.length : at;
    throw new Error(`${file} differs from the statements the code composes (line ${line + 1}: file has ${JSON.stringify(a[line] ?? '<end>')}, code renders ${JSON.stringify(b[line] ?? '<end>')}).\nRun \`npm run sql:render\` and commit the file.`);
  }
}
