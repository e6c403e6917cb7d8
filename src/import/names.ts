/** Names a manifest accepts, made from whatever a spec uses. */

/** `contactId`, `page[size]`, `X-Api-Version`, `ticket-audits` → `contact_id`, `page_size`, `x_api_version`, `ticket_audits`. */
export function snake(name: string): string {
  const s = name
    .replace(/OAuth/g, 'Oauth')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  const id = /^[a-z]/.test(s) ? s : `p_${s}`;
  return id === 'p_' ? 'param' : id;
}

/** A schema name: letters, digits and `_`, starting with a letter. */
export function schemaName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+/, '');
  return /^[A-Za-z]/.test(s) ? s : `S${s}`;
}

/** A name not yet in `taken` (adds `_2`, `_3`...), recorded as taken. */
export function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
  taken.add(n);
  return n;
}
