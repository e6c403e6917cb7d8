// connectors/stripe.yaml against an imitation of Stripe's API (test/imitations/stripe.ts): HTTP
// Basic with the key as user name, lists paged by the last record's id while has_more is true,
// errors as { error: { type, code, message, param } }, the request id in a header.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, createRuntime, HttpError, NotFoundError, RateLimitError, type Runtime } from '../src/index.js';
import { startStripe, type StripeImitation } from './imitations/stripe.js';

const MANIFEST = fileURLToPath(new URL('../connectors/stripe.yaml', import.meta.url));
const KEY = 'sk_test_51ConnectorEngineTestKey0000abcd';

describe('connectors/stripe.yaml', () => {
  let stripe: StripeImitation;
  let runtime: Runtime;
  const sent = () => stripe.requests.length;

  before(async () => {
    stripe = await startStripe({ secretKey: KEY, customers: 53, charges: 31, seed: 5 });
    runtime = await createRuntime({ manifest: MANIFEST, baseUrl: `${stripe.url}/v1`, credentials: { secret_key: KEY }, retry: { baseDelayMs: 1 } });
  });
  after(async () => {
    await runtime?.close();
    await stripe.close();
  });

  it('pages through every customer exactly once after the last id, stopping when has_more is false', async () => {
    const before = sent();
    const ids: string[] = [];
    for await (const c of runtime.paginate({ entity: 'customers', action: 'list', params: { limit: 10 } })) ids.push(c.id as string);
    assert.deepEqual(ids, stripe.data.customers.map((c) => c.id));
    const requests = stripe.requests.slice(before);
    assert.equal(requests.length, 6, '53 customers at 10 a page, and no empty request after has_more: false');
    assert.equal(requests[0]!.headers.authorization, `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`);
    assert.equal(new URL(requests[1]!.url, 'http://x').searchParams.get('starting_after'), ids[9]);
  });

  it('resumes from a next_page by hand, and filters charges by customer with expand[] in bracket style', async () => {
    const first = await runtime.execute({ entity: 'charges', action: 'list', params: { limit: 5 } });
    const second = await runtime.execute({ entity: 'charges', action: 'list', params: { limit: 5, starting_after: first.meta!.next_page! } });
    assert.deepEqual(
      [...(first.data as { id: string }[]), ...(second.data as { id: string }[])].map((c) => c.id),
      stripe.data.charges.slice(0, 10).map((c) => c.id),
    );
    const customer = stripe.data.charges.find((c) => c.customer)!.customer!;
    const { data } = await runtime.execute({ entity: 'charges', action: 'list', params: { customer, expand: ['data.customer'] } });
    assert.ok((data as unknown[]).length > 0);
    for (const charge of data as { customer: { id: string; object: string } }[]) assert.deepEqual([charge.customer.id, charge.customer.object], [customer, 'customer']);
    assert.match(stripe.requests.at(-1)!.url, /expand%5B%5D=data\.customer/);
  });

  it('gets one customer and one charge', async () => {
    const c = stripe.data.customers[7]!;
    assert.deepEqual(pick((await runtime.execute({ entity: 'customers', action: 'get', params: { id: c.id } })).data, ['id', 'email', 'created']), pick(c, ['id', 'email', 'created']));
    const ch = stripe.data.charges[3]!;
    assert.equal(((await runtime.execute({ entity: 'charges', action: 'get', params: { id: ch.id } })).data as { amount: number }).amount, ch.amount);
  });

  it('reads { error: { code, message, param } } and the Request-Id header: 404 and 400', async () => {
    await assert.rejects(runtime.execute({ entity: 'customers', action: 'get', params: { id: 'cus_missing' } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.details, [{ code: 'resource_missing', message: "No such customer: 'cus_missing'", field: 'id' }]);
      assert.match(err.requestId ?? '', /^req_/);
      return true;
    });
    await assert.rejects(runtime.execute({ entity: 'customers', action: 'list', params: { starting_after: 'cus_gone' } }), (err: unknown) => {
      assert.ok(err instanceof HttpError && err.status === 400);
      assert.equal(err.details[0]!.field, 'starting_after');
      assert.match(err.message, /resource_missing: No such customer: 'cus_gone'/);
      return true;
    });
  });

  it('a wrong key is an AuthenticationError; neither key nor its Basic encoding shows', async () => {
    const wrong = 'sk_test_51WrongWrongWrongWrongWrong00000wxyz';
    const other = await createRuntime({ manifest: MANIFEST, baseUrl: `${stripe.url}/v1`, credentials: { secret_key: wrong } });
    try {
      await assert.rejects(other.execute({ entity: 'customers', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError);
        assert.match(err.details[0]!.message!, /^Invalid API Key provided: sk_test_\*+wxyz$/, "Stripe's own masking is kept");
        const shown = `${err.message} ${JSON.stringify(err)}`;
        assert.ok(!shown.includes(wrong) && !shown.includes(Buffer.from(`${wrong}:`).toString('base64')));
        return true;
      });
    } finally {
      await other.close();
    }
  });

  it('a 429 is retried; past the retry limit it is a RateLimitError', async () => {
    stripe.rateLimitNext(2);
    let before = sent();
    const { data } = await runtime.execute({ entity: 'customers', action: 'list', params: { limit: 2 } });
    assert.equal((data as unknown[]).length, 2);
    assert.equal(sent() - before, 3);
    stripe.rateLimitNext(3);
    before = sent();
    await assert.rejects(runtime.execute({ entity: 'customers', action: 'list', retry: { limit: 2 } }), (err: unknown) => {
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.details[0]!.code, 'rate_limit');
      return true;
    });
    assert.equal(sent() - before, 3);
  });
});

function pick(o: unknown, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}
