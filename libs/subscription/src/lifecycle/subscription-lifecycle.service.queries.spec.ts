// Renders the lifecycle jobs' batch statements into subscription-lifecycle.service.queries.sql and fails when they
// drift from it (DESIGN.md "Statements a reviewer can read"). Regenerate: `npm run sql:render`.
import { expectQueriesFile, fixedStatement } from '../../../../test/support/queries-file.js';
import { lifecycleBatchStatements } from './lifecycle-batches.sql.js';

describe('SubscriptionLifecycleService statements', () => {
  it('match subscription-lifecycle.service.queries.sql', () => {
    expectQueriesFile(
      import.meta.url,
      lifecycleBatchStatements().map(({ method, variant, text, params }) => ({ method, variant, statement: fixedStatement(text, params) })),
    );
  });
});
