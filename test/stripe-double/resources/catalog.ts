import type Stripe from 'stripe';
import type { Params } from '../form-parser.js';
import { findPrice } from '../billing.js';
import { priceObject, productObject, recurring } from '../objects.js';
import { applyMetadata, bool, invalid, missing, num, obj, required, str, strings } from '../params.js';
import type { StripeState } from '../store.js';
import { listPage, newestFirst, route, searchPage, type Route } from './common.js';

function findProduct(state: StripeState, id: string, param = 'id'): Stripe.Product {
  const product = state.products.get(id);
  if (!product) throw missing('product', id, param);
  return product;
}

function applyProductFields(product: Stripe.Product, params: Params): void {
  const name = str(params, 'name');
  if (name !== undefined) product.name = name;
  const description = str(params, 'description');
  if (description !== undefined) product.description = description || null;
  const active = bool(params, 'active');
  if (active !== undefined) product.active = active;
  const defaultPrice = str(params, 'default_price');
  if (defaultPrice !== undefined) product.default_price = defaultPrice || null;
  product.metadata = applyMetadata(product.metadata, params);
}

/** Stripe keeps a lookup key on one price: reusing it fails unless `transfer_lookup_key=true` moves it. */
function claimLookupKey(state: StripeState, price: Stripe.Price, lookupKey: string | undefined, params: Params): void {
  if (lookupKey === undefined) return;
  if (lookupKey === '') {
    price.lookup_key = null;
    return;
  }
  const holder = [...state.prices.values()].find((p) => p.lookup_key === lookupKey && p.id !== price.id);
  if (holder) {
    if (!bool(params, 'transfer_lookup_key')) {
      throw invalid(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key', 'lookup_key_already_used');
    }
    holder.lookup_key = null;
  }
  price.lookup_key = lookupKey;
}

function createPrice(state: StripeState, params: Params): Stripe.Price {
  let productId = str(params, 'product');
  const productData = obj(params, 'product_data');
  if (!productId && productData) {
    const product = productObject({ name: required(productData, 'name'), created: state.now(), metadata: applyMetadata({}, productData) });
    state.products.set(product.id, product);
    productId = product.id;
  }
  if (!productId) throw invalid('Missing required param: product.', 'product', 'parameter_missing');
  findProduct(state, productId, 'product');
  const rec = obj(params, 'recurring');
  const unitAmount = num(params, 'unit_amount');
  // A metered price (usage_type=metered) bills what its Billing Meter summed over the period; it must name the meter.
  const usageType = rec ? str(rec, 'usage_type') ?? 'licensed' : undefined;
  const meter = rec ? str(rec, 'meter') : undefined;
  if (usageType !== undefined && !['licensed', 'metered'].includes(usageType)) throw invalid('Invalid recurring[usage_type].', 'recurring[usage_type]');
  if (usageType === 'metered' && !meter) throw invalid('A metered price needs recurring[meter].', 'recurring[meter]', 'parameter_missing');
  if (meter && !state.meters.has(meter)) throw missing('billing.meter', meter, 'recurring[meter]');
  const price = priceObject({
    product: productId, created: state.now(), currency: required(params, 'currency').toLowerCase(), unit_amount: unitAmount ?? 0,
    recurring: rec ? { ...recurring(required(rec, 'interval'), num(rec, 'interval_count') ?? 1), usage_type: usageType as Stripe.Price.Recurring.UsageType, meter: meter ?? null } : null,
    nickname: str(params, 'nickname') ?? null, active: bool(params, 'active') ?? true, metadata: applyMetadata({}, params),
    tax_behavior: (str(params, 'tax_behavior') ?? 'unspecified') as Stripe.Price.TaxBehavior,
  });
  claimLookupKey(state, price, str(params, 'lookup_key'), params);
  state.prices.set(price.id, price);
  return price;
}

export const catalogRoutes: Route[] = [
  route('POST', '/v1/products', ({ params, state, emit }) => {
    const id = str(params, 'id');
    if (id && state.products.has(id)) throw invalid(`Product already exists.`, 'id', 'resource_already_exists');
    const product = productObject({ name: required(params, 'name'), created: state.now(), ...(id && { id }) });
    applyProductFields(product, params);
    state.products.set(product.id, product);
    const priceData = obj(params, 'default_price_data');
    if (priceData) product.default_price = createPrice(state, { ...priceData, product: product.id }).id;
    emit('product.created', product);
    return product;
  }),
  route('GET', '/v1/products/search', ({ params, state }) => searchPage(newestFirst(state.products.values()), params, '/v1/products/search')),
  route('GET', '/v1/products/:id', ({ captures, state }) => findProduct(state, captures[0])),
  route('POST', '/v1/products/:id', ({ captures, params, state, emit }) => {
    const product = findProduct(state, captures[0]);
    const before = structuredClone(product);
    applyProductFields(product, params);
    product.updated = state.now();
    emit('product.updated', product, before);
    return product;
  }),
  route('DELETE', '/v1/products/:id', ({ captures, state, emit }) => {
    const product = findProduct(state, captures[0]);
    if ([...state.prices.values()].some((p) => p.product === product.id)) {
      throw invalid('This product cannot be deleted because it has one or more user-created prices.', undefined, 'product_has_prices');
    }
    state.products.delete(product.id);
    emit('product.deleted', product);
    return { id: product.id, object: 'product', deleted: true };
  }),
  route('GET', '/v1/products', ({ params, state }) => {
    const active = bool(params, 'active');
    const ids = strings(params, 'ids');
    const all = newestFirst(state.products.values()).filter((p) => (active === undefined || p.active === active) && (ids.length === 0 || ids.includes(p.id)));
    return listPage(all, params, '/v1/products');
  }),
  route('POST', '/v1/prices', ({ params, state, emit }) => {
    const price = createPrice(state, params);
    emit('price.created', price);
    return price;
  }),
  route('GET', '/v1/prices/search', ({ params, state }) => searchPage(newestFirst(state.prices.values()), params, '/v1/prices/search')),
  route('GET', '/v1/prices/:id', ({ captures, state }) => findPrice(state, captures[0], 'id')),
  route('POST', '/v1/prices/:id', ({ captures, params, state, emit }) => {
    const price = findPrice(state, captures[0], 'id');
    const before = structuredClone(price);
    const active = bool(params, 'active');
    if (active !== undefined) price.active = active;
    const nickname = str(params, 'nickname');
    if (nickname !== undefined) price.nickname = nickname || null;
    price.metadata = applyMetadata(price.metadata, params);
    claimLookupKey(state, price, str(params, 'lookup_key'), params);
    emit('price.updated', price, before);
    return price;
  }),
  route('GET', '/v1/prices', ({ params, state }) => {
    const active = bool(params, 'active');
    const lookupKeys = strings(params, 'lookup_keys');
    const product = str(params, 'product');
    const type = str(params, 'type');
    const currency = str(params, 'currency');
    const interval = str(obj(params, 'recurring') ?? {}, 'interval');
    const all = newestFirst(state.prices.values()).filter((p) =>
      (active === undefined || p.active === active) && (lookupKeys.length === 0 || (p.lookup_key !== null && lookupKeys.includes(p.lookup_key))) &&
      (!product || p.product === product) && (!type || p.type === type) && (!currency || p.currency === currency) &&
      (!interval || p.recurring?.interval === interval));
    return listPage(all, params, '/v1/prices');
  }),
];
