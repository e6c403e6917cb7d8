/** Reads the tables of a connector reference in markdown: per operation, its parameters, records and meta fields. */
export interface OperationTables {
  params: Map<string, { type: string; required: string }>;
  records: Map<string, string>;
  meta: Map<string, string>;
}

export function parseReference(markdown: string): Map<string, OperationTables> {
  const operations = new Map<string, OperationTables>();
  let current: OperationTables | undefined;
  let section: 'params' | 'records' | 'meta' | undefined;
  for (const line of markdown.split('\n')) {
    // The authentication section has examples, not operations.
    if (line.startsWith('## Authentication')) break;
    const heading = /^#### (.+)$/.exec(line);
    if (heading) {
      current = { params: new Map(), records: new Map(), meta: new Map() };
      operations.set(heading[1]!.trim().toLowerCase(), current);
      section = undefined;
      continue;
    }
    if (/^#{1,3} /.test(line)) current = undefined;
    if (line.startsWith('**Parameters**')) section = 'params';
    else if (line.startsWith('**Records**')) section = 'records';
    else if (line.startsWith('**Meta**')) section = 'meta';
    if (!current || !section || !line.startsWith('| `')) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/^`|`$/g, '').replace(/\\\|/g, '|'));
    const [name, type, third] = cells as [string, string, string];
    if (section === 'params') current.params.set(name, { type, required: third });
    else current[section].set(name, type);
  }
  return operations;
}
