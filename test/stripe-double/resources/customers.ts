import type Stripe from 'stripe';
import { findCustomer } from '../billing.js';
import { customerObject } from '../objects.js';
import { applyMetadata, missing, str } from '../params.js';
import type { Params } from '../form-parser.js';
import { listPage, newestFirst, route, searchPage, type Route } from './common.js';

const FIELDS = ['email', 'name', 'description', 'phone'] as const;

function applyFields(customer: Stripe.Customer, params: Params): void {
  for (const field of FIELDS) {
    const value = str(params, field);
    if (value !== undefined) (customer as unknown as Record<string, unknown>)[field] = value === '' ? null : value;
  }
  customer.metadata = applyMetadata(customer.metadata, params);
}

export const customerRoutes: Route[] = [
  route('POST', '/v1/customers', ({ params, state, emit }) => {
    const customer = customerObject({ created: state.now() });
    applyFields(customer, params);
    state.customers.set(customer.id, customer);
    emit('customer.created', customer);
    return customer;
  }),
  route('GET', '/v1/customers/search', ({ params, state }) => searchPage(newestFirst(state.customers.values()), params, '/v1/customers/search')),
  route('GET', '/v1/customers/:id', ({ captures, state }) => {
    const customer = state.customers.get(captures[0]);
    if (!customer) throw missing('customer', captures[0]);
    return customer;
  }),
  route('POST', '/v1/customers/:id', ({ captures, params, state, emit }) => {
    const customer = findCustomer(state, captures[0], 'id');
    const before = structuredClone(customer);
    applyFields(customer, params);
    emit('customer.updated', customer, before);
    return customer;
  }),
  route('DELETE', '/v1/customers/:id', ({ captures, state, emit }) => {
    const customer = findCustomer(state, captures[0], 'id');
    const deleted = { id: customer.id, object: 'customer', deleted: true };
    state.customers.set(customer.id, deleted as unknown as Stripe.Customer);
    emit('customer.deleted', customer);
    return deleted;
  }),
  route('GET', '/v1/customers', ({ params, state }) => {
    const email = str(params, 'email');
    const all = newestFirst(state.customers.values()).filter((c) => !(c as { deleted?: boolean }).deleted && (!email || c.email === email));
    return listPage(all, params, '/v1/customers');
  }),
];
