// Renders OrderService's create statement (the limit claim fused with the INSERT) into order.service.queries.sql and
// fails when it drifts from it (DESIGN.md "Statements a reviewer can read"). Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { LimitService } from '@app/subscription';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { expectQueriesFile } from '../../../../test/support/queries-file.js';
import { OrderService } from './order.service.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
// Never connected: the statement is composed, not run.
const dataSource = new DataSource({ type: 'postgres' });
const limits = new LimitService(new ConfigService({}), clock, dataSource);
const service = new OrderService(dataSource, limits, clock);

describe('OrderService statements', () => {
  it('match order.service.queries.sql', () => {
    expectQueriesFile(import.meta.url, [
      { method: 'OrderService.create', variant: 'LimitService.claimAndInsert', statement: limits.claimAndInsertStatement(7, 'orders', service.insertSql({ totalCents: 4200, customerEmail: 'buyer@example.com' })) },
    ]);
  });
});
