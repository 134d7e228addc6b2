/** The design note's infrastructure scaling reference: what a platform of N client vendors runs on. */
export interface InfrastructureTier {
  name: string;
  minClients: number;
  /** Exclusive upper bound; null for the top tier. */
  maxClients: number | null;
  vcpu: string;
  ram: string;
  storage: string;
  database: string;
  monthlyCost: string;
}

/**
 * The design note's table, for this product: it runs only on PostgreSQL (the note's SQLite row does not apply),
 * embedded for the smallest platform (`npm start`), then a server of its own, a managed one reached through a
 * transaction-mode pooler once there are API replicas, and a primary with replicas at the top. It needs no
 * Redis: limits, locks and queues are PostgreSQL rows.
 */
export const INFRASTRUCTURE_TIERS: readonly InfrastructureTier[] = [
  { name: 'Starter', minClients: 0, maxClients: 50, vcpu: '2', ram: '4GB', storage: '100GB', database: 'PostgreSQL, embedded (npm start: one API and one worker)', monthlyCost: '€30' },
  { name: 'Small', minClients: 50, maxClients: 100, vcpu: '4', ram: '8GB', storage: '250GB', database: 'PostgreSQL server of its own', monthlyCost: '€80' },
  { name: 'Medium', minClients: 100, maxClients: 300, vcpu: '4', ram: '16GB', storage: '500GB', database: 'Managed PostgreSQL with daily backups', monthlyCost: '€150' },
  { name: 'Large', minClients: 300, maxClients: 500, vcpu: '8', ram: '32GB', storage: '1TB', database: 'Managed PostgreSQL + PgBouncer (transaction mode), 2 API replicas', monthlyCost: '€350' },
  { name: 'Scale', minClients: 500, maxClients: 1000, vcpu: '16', ram: '64GB', storage: '2TB', database: 'Managed PostgreSQL (high availability) + PgBouncer, API and worker replicas', monthlyCost: '€700' },
  { name: 'Enterprise', minClients: 1000, maxClients: null, vcpu: '32+', ram: '128GB+', storage: '4TB+', database: 'PostgreSQL cluster (primary + read replicas) + PgBouncer', monthlyCost: '€1,500+' },
];

/** The tier a platform with `clients` vendors belongs on, and the next one up (null at the top). */
export function infrastructureTierFor(clients: number): { current: InfrastructureTier; next: InfrastructureTier | null } {
  const index = INFRASTRUCTURE_TIERS.findIndex((t) => t.maxClients === null || clients < t.maxClients);
  return { current: INFRASTRUCTURE_TIERS[index], next: INFRASTRUCTURE_TIERS[index + 1] ?? null };
}

export function infrastructureTierView(t: InfrastructureTier) {
  return {
    name: t.name, min_clients: t.minClients, max_clients: t.maxClients, vcpu: t.vcpu, ram: t.ram,
    storage: t.storage, database: t.database, monthly_cost: t.monthlyCost,
  };
}
