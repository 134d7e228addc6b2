import { parseForm } from './form-parser.js';

describe('parseForm', () => {
  it('nests bracket keys, turns indexed keys and [] into arrays and keeps values as strings', () => {
    const body = 'customer=cus_1&metadata[vendor_id]=1&items[0][price]=price_x&items[0][quantity]=2&items[1][id]=si_1&items[1][deleted]=true'
      + '&expand[]=subscription&expand[]=customer&line_items[0][price]=price_y&subscription_data[metadata][tier]=pro&email=a%2Bb%40shop.test&name=Shop+A';
    expect(parseForm(body)).toEqual({
      customer: 'cus_1', metadata: { vendor_id: '1' },
      items: [{ price: 'price_x', quantity: '2' }, { id: 'si_1', deleted: 'true' }],
      expand: ['subscription', 'customer'], line_items: [{ price: 'price_y' }],
      subscription_data: { metadata: { tier: 'pro' } }, email: 'a+b@shop.test', name: 'Shop A',
    });
  });

  it('reads encoded brackets, ranges and numeric metadata keys', () => {
    expect(parseForm('created%5Bgte%5D=100&types[0]=a&types[1]=b&metadata[0]=zero&limit=3')).toEqual({
      created: { gte: '100' }, types: ['a', 'b'], metadata: { 0: 'zero' }, limit: '3',
    });
  });

  it('answers an empty object for an empty body', () => {
    expect(parseForm('')).toEqual({});
  });
});
