import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vendors (
        id          serial PRIMARY KEY,
        code        varchar(32)  NOT NULL CONSTRAINT uq_vendors_code UNIQUE CHECK (code ~ '^[a-z0-9-]{3,32}$'),
        name        varchar(200) NOT NULL,
        is_active   boolean      NOT NULL DEFAULT true,
        created_at  timestamptz  NOT NULL DEFAULT now(),
        updated_at  timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id             serial PRIMARY KEY,
        vendor_id      integer      REFERENCES vendors(id) ON DELETE CASCADE,
        email          varchar(254) NOT NULL CONSTRAINT uq_users_email UNIQUE CHECK (email = lower(email)),
        password_hash  varchar(200) NOT NULL,
        role           varchar(16)  NOT NULL CHECK (role IN ('vendor', 'admin')),
        is_owner       boolean      NOT NULL DEFAULT false,
        created_at     timestamptz  NOT NULL DEFAULT now(),
        CHECK ((role = 'admin') = (vendor_id IS NULL))
      )`);
    await q.query(`CREATE INDEX ix_users_vendor ON users (vendor_id)`);
    await q.query(`
      CREATE TABLE products (
        id           serial PRIMARY KEY,
        vendor_id    integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        name         varchar(200) NOT NULL,
        sku          varchar(64),
        price_cents  integer      NOT NULL CHECK (price_cents >= 0),
        created_at   timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_products_vendor ON products (vendor_id, id)`);
    await q.query(`
      CREATE TABLE orders (
        id              serial PRIMARY KEY,
        vendor_id       integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        total_cents     integer      NOT NULL CHECK (total_cents >= 0),
        currency        varchar(3)   NOT NULL DEFAULT 'eur',
        customer_email  varchar(254),
        created_at      timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_orders_vendor_created ON orders (vendor_id, created_at)`);
    await q.query(`
      CREATE TABLE subscription_tiers (
        id                      serial PRIMARY KEY,
        code                    varchar(32)  NOT NULL CONSTRAINT uq_subscription_tiers_code UNIQUE CHECK (code ~ '^[a-z0-9_-]{2,32}$'),
        name                    varchar(100) NOT NULL,
        description             text         NOT NULL DEFAULT '',
        price_monthly_cents     integer      CHECK (price_monthly_cents >= 0),
        price_annual_cents      integer      CHECK (price_annual_cents >= 0),
        currency                varchar(3)   NOT NULL DEFAULT 'eur',
        products_limit          integer      CHECK (products_limit >= 0),
        orders_per_month        integer      CHECK (orders_per_month >= 0),
        team_members            integer      CHECK (team_members >= 0),
        features                jsonb        NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(features) = 'array'),
        stripe_product_id       varchar(255),
        stripe_price_monthly_id varchar(255),
        stripe_price_annual_id  varchar(255),
        display_order           integer      NOT NULL DEFAULT 0,
        is_active               boolean      NOT NULL DEFAULT true,
        created_at              timestamptz  NOT NULL DEFAULT now(),
        updated_at              timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE vendor_subscriptions (
        id                      serial PRIMARY KEY,
        vendor_id               integer      NOT NULL CONSTRAINT uq_vendor_subscriptions_vendor UNIQUE REFERENCES vendors(id) ON DELETE CASCADE,
        tier_code               varchar(32)  NOT NULL,
        status                  varchar(16)  NOT NULL CHECK (status IN ('trial', 'active', 'past_due', 'cancelled', 'expired')),
        is_annual               boolean      NOT NULL DEFAULT false,
        trial_ends_at           timestamptz,
        period_start            timestamptz  NOT NULL,
        period_end              timestamptz  NOT NULL,
        cancel_at_period_end    boolean      NOT NULL DEFAULT false,
        cancelled_at            timestamptz,
        cancellation_reason     text,
        stripe_customer_id      varchar(255) CONSTRAINT uq_vendor_subscriptions_customer UNIQUE,
        stripe_subscription_id  varchar(255) CONSTRAINT uq_vendor_subscriptions_subscription UNIQUE,
        stripe_price_id         varchar(255),
        has_payment_method      boolean      NOT NULL DEFAULT false,
        past_due_since          timestamptz,
        payment_retry_count     integer      NOT NULL DEFAULT 0 CHECK (payment_retry_count >= 0),
        last_payment_at         timestamptz,
        last_stripe_event_at    timestamptz,
        orders_this_period      integer      NOT NULL DEFAULT 0 CHECK (orders_this_period >= 0),
        products_count          integer      NOT NULL DEFAULT 0 CHECK (products_count >= 0),
        team_members_count      integer      NOT NULL DEFAULT 0 CHECK (team_members_count >= 0),
        created_at              timestamptz  NOT NULL DEFAULT now(),
        updated_at              timestamptz  NOT NULL DEFAULT now(),
        CHECK (period_end > period_start)
      )`);
    // The worker's set-based jobs select by status and a date; these keep them off full scans.
    await q.query(`CREATE INDEX ix_vendor_subscriptions_status_period_end ON vendor_subscriptions (status, period_end)`);
    await q.query(`CREATE INDEX ix_vendor_subscriptions_trial_ends ON vendor_subscriptions (trial_ends_at) WHERE status = 'trial'`);
    await q.query(`
      CREATE TABLE add_on_products (
        id                serial PRIMARY KEY,
        code              varchar(32)  NOT NULL CONSTRAINT uq_add_on_products_code UNIQUE,
        name              varchar(100) NOT NULL,
        description       text         NOT NULL DEFAULT '',
        category          varchar(32)  NOT NULL,
        price_cents       integer      NOT NULL CHECK (price_cents >= 0),
        currency          varchar(3)   NOT NULL DEFAULT 'eur',
        billing_period    varchar(8)   NOT NULL CHECK (billing_period IN ('month', 'year')),
        requires_domain   boolean      NOT NULL DEFAULT false,
        stripe_product_id varchar(255),
        stripe_price_id   varchar(255),
        display_order     integer      NOT NULL DEFAULT 0,
        is_active         boolean      NOT NULL DEFAULT true,
        created_at        timestamptz  NOT NULL DEFAULT now(),
        updated_at        timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE vendor_add_ons (
        id                          serial PRIMARY KEY,
        vendor_id                   integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        add_on_product_id           integer      NOT NULL REFERENCES add_on_products(id),
        status                      varchar(16)  NOT NULL CHECK (status IN ('active', 'cancelled', 'expired')),
        domain_name                 varchar(253) CHECK (domain_name = lower(domain_name)),
        quantity                    integer      NOT NULL DEFAULT 1 CHECK (quantity > 0),
        stripe_subscription_id      varchar(255) CONSTRAINT uq_vendor_add_ons_subscription UNIQUE,
        stripe_checkout_session_id  varchar(255) CONSTRAINT uq_vendor_add_ons_checkout_session UNIQUE,
        period_start                timestamptz,
        period_end                  timestamptz,
        cancelled_at                timestamptz,
        created_at                  timestamptz  NOT NULL DEFAULT now(),
        updated_at                  timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_vendor_add_ons_vendor ON vendor_add_ons (vendor_id)`);
    await q.query(`CREATE UNIQUE INDEX uq_vendor_add_ons_live_domain ON vendor_add_ons (domain_name) WHERE domain_name IS NOT NULL AND status = 'active'`);
    await q.query(`
      CREATE TABLE stripe_webhook_events (
        id                serial PRIMARY KEY,
        event_id          varchar(255) NOT NULL CONSTRAINT uq_stripe_webhook_events_event UNIQUE,
        type              varchar(100) NOT NULL,
        status            varchar(16)  NOT NULL CHECK (status IN ('processing', 'processed', 'failed', 'ignored')),
        attempts          integer      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        error             text,
        payload           jsonb,
        event_created_at  timestamptz,
        received_at       timestamptz  NOT NULL DEFAULT now(),
        processed_at      timestamptz
      )`);
    await q.query(`CREATE INDEX ix_stripe_webhook_events_status_received ON stripe_webhook_events (status, received_at)`);
    await q.query(`
      CREATE TABLE billing_history (
        id                      serial PRIMARY KEY,
        vendor_id               integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        stripe_invoice_id       varchar(255) NOT NULL CONSTRAINT uq_billing_history_invoice UNIQUE,
        stripe_subscription_id  varchar(255),
        invoice_number          varchar(100),
        invoice_date            timestamptz  NOT NULL,
        due_date                timestamptz,
        total_cents             integer      NOT NULL,
        amount_paid_cents       integer      NOT NULL DEFAULT 0 CHECK (amount_paid_cents >= 0),
        currency                varchar(3)   NOT NULL,
        status                  varchar(32)  NOT NULL,
        pdf_url                 text,
        hosted_url              text,
        description             text,
        created_at              timestamptz  NOT NULL DEFAULT now(),
        updated_at              timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_billing_history_vendor_date ON billing_history (vendor_id, invoice_date DESC)`);
    await q.query(`
      CREATE TABLE capacity_snapshots (
        id                          serial PRIMARY KEY,
        snapshot_date               date          NOT NULL CONSTRAINT uq_capacity_snapshots_date UNIQUE,
        total_vendors               integer       NOT NULL DEFAULT 0,
        active_vendors              integer       NOT NULL DEFAULT 0,
        trial_vendors               integer       NOT NULL DEFAULT 0,
        total_subscriptions         integer       NOT NULL DEFAULT 0,
        active_subscriptions        integer       NOT NULL DEFAULT 0,
        total_products              bigint        NOT NULL DEFAULT 0,
        total_orders_month          bigint        NOT NULL DEFAULT 0,
        total_team_members          integer       NOT NULL DEFAULT 0,
        storage_used_gb             numeric(12,3) NOT NULL DEFAULT 0,
        db_size_mb                  numeric(12,3) NOT NULL DEFAULT 0,
        theoretical_products_limit  bigint,
        theoretical_orders_limit    bigint,
        theoretical_team_limit      bigint,
        tier_distribution           jsonb         NOT NULL DEFAULT '{}',
        created_at                  timestamptz   NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE job_runs (
        id             serial PRIMARY KEY,
        name           varchar(64)  NOT NULL,
        status         varchar(16)  NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
        started_at     timestamptz  NOT NULL,
        finished_at    timestamptz,
        rows_affected  integer      NOT NULL DEFAULT 0,
        error          text,
        details        jsonb
      )`);
    await q.query(`CREATE INDEX ix_job_runs_started ON job_runs (started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'job_runs', 'capacity_snapshots', 'billing_history', 'stripe_webhook_events', 'vendor_add_ons',
      'add_on_products', 'vendor_subscriptions', 'subscription_tiers', 'orders', 'products', 'users', 'vendors',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
