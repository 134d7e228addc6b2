// Renders PlatformEventWriter.record's statement into platform-event-writer.service.queries.sql and fails when it
// drifts from it (DESIGN.md "Statements a reviewer can read"); its fragments in other owners' statements render
// there. Regenerate: `npm run sql:render`.
import { expectQueriesFile } from '../../../test/support/queries-file.js';
import { PlatformEventWriter } from './platform-event-writer.service.js';

describe('PlatformEventWriter statements', () => {
  it('match platform-event-writer.service.queries.sql', () => {
    const statement = new PlatformEventWriter().recordStatement({ type: 'payment.failed', vendorId: 7, data: { invoice_id: 'in_1' }, dedupeKey: 'payment.failed:in_1:1' });
    expectQueriesFile(import.meta.url, [{ method: 'PlatformEventWriter.record', statement }]);
  });
});
