// Renders ProductService's create statement (the limit claim fused with the INSERT) into product.service.queries.sql and
// fails when it drifts from it (DESIGN.md "Statements a reviewer can read"). Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { LimitService } from '@app/subscription';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { expectQueriesFile } from '../../../../test/support/queries-file.js';
import { ProductService } from './product.service.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
// Never connected: the statement is composed, not run.
const dataSource = new DataSource({ type: 'postgres' });
const limits = new LimitService(new ConfigService({}), clock, dataSource);
const service = new ProductService(dataSource, limits, clock);

describe('ProductService statements', () => {
  it('match product.service.queries.sql', () => {
    expectQueriesFile(import.meta.url, [
      { method: 'ProductService.create', variant: 'LimitService.claimAndInsert', statement: limits.claimAndInsertStatement(7, 'products', service.insertSql({ name: 'Mug', sku: 'MUG-1', priceCents: 1200 })) },
    ]);
  });
});
