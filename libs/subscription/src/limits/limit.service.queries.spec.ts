// Renders the limit statements into limit.service.queries.sql (DESIGN.md "Statements a reviewer can read") and fails
// when they drift from it; the claims fused with an INSERT render beside their callers (product.service,
// order.service). Regenerate: `npm run sql:render`.
import { expectQueriesFile, fixedStatement } from '../../../../test/support/queries-file.js';
import { limitStatements } from './limit.service.js';
import { TIER_VIOLATIONS } from './usage-fits-tier.js';

describe('LimitService statements', () => {
  it('match limit.service.queries.sql', () => {
    expectQueriesFile(import.meta.url, [
      ...limitStatements().map(({ method, variant, text, params }) => ({ method, variant, statement: fixedStatement(text, params) })),
      { method: 'tierViolations (usage-fits-tier.ts: a refused downgrade, an admin\'s tier assignment)', statement: fixedStatement(TIER_VIOLATIONS, ['vendor_id', 'tier_code', 'DEFAULT_LIMITS_JSON']) },
    ]);
  });
});
