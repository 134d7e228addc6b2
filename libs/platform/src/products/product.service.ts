import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, NotFoundError } from '@app/common';
import { runStatement, type AddParam } from '@app/database';
import { LimitService } from '@app/subscription';
import { DataSource } from 'typeorm';

export interface ProductView {
  id: number;
  name: string;
  sku: string | null;
  price_cents: number;
  created_at: string;
}

export interface CreateProductInput {
  name: string;
  priceCents: number;
  sku?: string | null;
}

export interface Page {
  limit: number;
  offset: number;
}

const COLUMNS = `id, name, sku, price_cents, created_at`;
/** pg answers an `int8` as a string: a column widened to bigint by a migration still answers a number (CONTRACT §5 "Deploys"). */
type Integer = number | string;
const view = (r: { id: Integer; name: string; sku: string | null; price_cents: Integer; created_at: Date }): ProductView => ({
  id: Number(r.id), name: r.name, sku: r.sku, price_cents: Number(r.price_cents), created_at: r.created_at.toISOString(),
});

/** A vendor's products; each one holds a slot of the tier's products limit. Every query is scoped to the vendor. */
@Injectable()
export class ProductService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly limits: LimitService,
    private readonly clock: Clock,
  ) {}

  async list(vendorId: number, page: Page): Promise<{ items: ProductView[]; total: number }> {
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query(`SELECT ${COLUMNS} FROM products WHERE vendor_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, [vendorId, page.limit, page.offset]),
      this.dataSource.query(`SELECT count(*)::int AS total FROM products WHERE vendor_id = $1`, [vendorId]),
    ]);
    return { items: rows.map(view), total };
  }

  /** The slot and the row in one statement: a refused claim writes nothing. */
  async create(vendorId: number, input: CreateProductInput): Promise<ProductView> {
    const row = await this.limits.claimAndInsert<Parameters<typeof view>[0]>(vendorId, 'products', this.insertSql(input));
    return view(row);
  }

  /** The product's INSERT for the claim's statement (`claimed`: the claim's CTE; see LimitService.claimAndInsert). */
  insertSql(input: CreateProductInput): (claimed: string, add: AddParam) => string {
    return (claimed, add) => `INSERT INTO products (vendor_id, name, sku, price_cents, created_at)
       SELECT vendor_id, ${add(input.name, 'varchar', 'name')}, ${add(input.sku ?? null, 'varchar', 'sku')}, ${add(input.priceCents, 'int', 'price_cents')}, ${add(this.clock.now(), 'timestamptz', 'now')} FROM ${claimed}
       RETURNING ${COLUMNS}`;
  }

  /** Deletes the vendor's product and frees its slot; another vendor's or a missing id changes nothing (404). */
  async remove(vendorId: number, productId: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const { rowCount } = await runStatement(manager, `DELETE FROM products WHERE id = $1 AND vendor_id = $2`, [productId, vendorId]);
      if (rowCount === 0) throw new NotFoundError('Product');
      await this.limits.releaseProductSlot(manager, vendorId);
    });
  }
}
