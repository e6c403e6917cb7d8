/**
 * Compile-time tests: `tsc --noEmit` (part of `npm test`) fails if the generated types
 * stop catching these mistakes or stop giving exact result types. Nothing here runs.
 */
import {
  createClient,
  createRuntime,
  type Company,
  type Contact,
  type ContactsListParams,
  type ListMeta,
  type Runtime,
  type Operations,
  type Team,
} from '../generated/index.js';
import type * as GitHub from '../generated/github/index.js';
import type * as HubSpot from '../generated/hubspot/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `value` has exactly the type T. */
function expectType<T>() {
  return <V>(value: V & (Equal<V, T> extends true ? unknown : never)): void => void value;
}

export async function typeTests(runtime: Runtime<Operations>): Promise<void> {
  const list = await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: 50 } });
  expectType<Contact[]>()(list.data);
  expectType<ListMeta>()(list.meta);
  expectType<string | null>()(list.meta.next_page);

  const one = await runtime.execute({ entity: 'contacts', action: 'get', params: { id: '1' } });
  expectType<Contact>()(one.data);
  expectType<string | null | undefined>()(one.data.email);

  const teams = await runtime.execute({ entity: 'teams', action: 'list' });
  expectType<Team[]>()(teams.data);

  for await (const company of runtime.paginate({ entity: 'companies', action: 'list', params: { per_page: 10 } })) {
    expectType<Company>()(company);
  }

  // @ts-expect-error: unknown entity
  await runtime.execute({ entity: 'contact', action: 'list' });
  // @ts-expect-error: unknown action
  await runtime.execute({ entity: 'contacts', action: 'delete' });
  // @ts-expect-error: unknown parameter
  await runtime.execute({ entity: 'contacts', action: 'list', params: { per_pag: 50 } });
  // @ts-expect-error: wrong parameter type
  await runtime.execute({ entity: 'contacts', action: 'list', params: { per_page: '50' } });
  // @ts-expect-error: missing required id
  await runtime.execute({ entity: 'contacts', action: 'get', params: {} });
  // @ts-expect-error: params are required when a parameter is
  await runtime.execute({ entity: 'contacts', action: 'get' });
  // @ts-expect-error: get is not a list
  runtime.paginate({ entity: 'contacts', action: 'get', params: { id: '1' } });
  // @ts-expect-error: include_count belongs to segments
  await runtime.execute({ entity: 'tags', action: 'list', params: { include_count: true } });

  const typed = await createRuntime({ credentials: { access_token: 'test-token-1' } });
  expectType<Runtime<Operations>>()(typed);

  const intercom = createClient({ credentials: { access_token: 'test-token-1' } });
  const contacts = await intercom.contacts.list({ per_page: 50 });
  expectType<Contact[]>()(contacts.data);
  expectType<Contact>()((await intercom.contacts.get({ id: '1' })).data);
  for await (const c of intercom.contacts.paginate()) expectType<Contact>()(c);
  const params: ContactsListParams = { starting_after: contacts.meta.next_page ?? undefined };
  await intercom.contacts.list(params);
  // @ts-expect-error: get needs an id
  await intercom.contacts.get();
  // @ts-expect-error: unknown entity on the client
  await intercom.contact.list();
}

/** The other connectors' generated types: nested body parameters, integer path parameters. */
export async function connectorTypeTests(github: Runtime<GitHub.Operations>, hubspot: HubSpot.HubspotClient): Promise<void> {
  const issue = await github.execute({ entity: 'issues', action: 'get', params: { owner: 'o', repo: 'r', number: 1 } });
  expectType<GitHub.Issue>()(issue.data);
  // @ts-expect-error: an issue number is an integer
  await github.execute({ entity: 'issues', action: 'get', params: { owner: 'o', repo: 'r', number: '1' } });
  // @ts-expect-error: GitHub's lists take no starting_after
  await github.execute({ entity: 'issues', action: 'list', params: { owner: 'o', repo: 'r', starting_after: 'x' } });

  const found = await hubspot.contacts.search({ filter_groups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'a@b.co' }] }], limit: 50 });
  expectType<HubSpot.CrmObject[]>()(found.data);
  // @ts-expect-error: an operator HubSpot does not have
  await hubspot.contacts.search({ filter_groups: [{ filters: [{ propertyName: 'email', operator: 'LIKE' }] }] });
  // @ts-expect-error: a filter group is an object with filters
  await hubspot.contacts.search({ filter_groups: ['email = x'] });
}
