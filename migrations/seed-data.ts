/**
 * The defaults of the design note. The seed migration inserts them, and `libs/subscription` answers with them
 * for a tier code the database does not hold. Change a live platform's tiers through the admin API, not here.
 */
export const TIER_FEATURES = ['basic_support', 'priority_support', 'analytics', 'api_access', 'white_label', 'custom_integrations'] as const;
export type TierFeature = (typeof TIER_FEATURES)[number];

export interface DefaultTier {
  code: string;
  name: string;
  description: string;
  priceMonthlyCents: number | null;
  priceAnnualCents: number | null;
  productsLimit: number | null;
  ordersPerMonth: number | null;
  teamMembers: number | null;
  features: TierFeature[];
}

export const DEFAULT_TIERS: readonly DefaultTier[] = [
  {
    code: 'essential', name: 'Essential', description: 'For vendors getting started.',
    priceMonthlyCents: 4900, priceAnnualCents: 49000, productsLimit: 200, ordersPerMonth: 100, teamMembers: 1,
    features: ['basic_support'],
  },
  {
    code: 'professional', name: 'Professional', description: 'Unlimited products and a small team.',
    priceMonthlyCents: 9900, priceAnnualCents: 99000, productsLimit: null, ordersPerMonth: 500, teamMembers: 3,
    features: ['basic_support', 'priority_support'],
  },
  {
    code: 'business', name: 'Business', description: 'Analytics and API access for growing teams.',
    priceMonthlyCents: 19900, priceAnnualCents: 199000, productsLimit: null, ordersPerMonth: 2000, teamMembers: 10,
    features: ['basic_support', 'priority_support', 'analytics', 'api_access'],
  },
  {
    code: 'enterprise', name: 'Enterprise', description: 'Unlimited everything, white label and custom integrations.',
    priceMonthlyCents: null, priceAnnualCents: null, productsLimit: null, ordersPerMonth: null, teamMembers: null,
    features: ['basic_support', 'priority_support', 'analytics', 'api_access', 'white_label', 'custom_integrations'],
  },
];

export interface DefaultAddOn {
  code: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  billingPeriod: 'month' | 'year';
  requiresDomain: boolean;
}

export const DEFAULT_ADD_ONS: readonly DefaultAddOn[] = [
  { code: 'domain', name: 'Custom Domain', description: 'Serve your store from your own domain.', category: 'domain', priceCents: 1500, billingPeriod: 'year', requiresDomain: true },
  { code: 'ssl_premium', name: 'Premium SSL', description: 'An extended-validation certificate.', category: 'ssl', priceCents: 4900, billingPeriod: 'year', requiresDomain: false },
  { code: 'email_5', name: '5 Email Addresses', description: 'Five mailboxes on your domain.', category: 'email', priceCents: 500, billingPeriod: 'month', requiresDomain: false },
  { code: 'email_10', name: '10 Email Addresses', description: 'Ten mailboxes on your domain.', category: 'email', priceCents: 900, billingPeriod: 'month', requiresDomain: false },
  { code: 'email_25', name: '25 Email Addresses', description: 'Twenty-five mailboxes on your domain.', category: 'email', priceCents: 1900, billingPeriod: 'month', requiresDomain: false },
];
