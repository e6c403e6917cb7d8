/** `{email}/token` → its names and a function that fills them; `{{` and `}}` are literal braces. */
export interface CompiledTemplate {
  names: string[];
  fill(values: Readonly<Record<string, string | undefined>>): string;
}

const PLACEHOLDER = /\{\{|\}\}|\{([a-z][a-z0-9_]*)\}/g;

/**
 * @example
 * compileTemplate('{email}/token').fill({ email: 'a@b.co' }); // 'a@b.co/token'
 */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: (string | { name: string })[] = [];
  const names: string[] = [];
  let last = 0;
  let literal = '';
  for (const m of template.matchAll(PLACEHOLDER)) {
    literal += template.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1] === undefined) {
      literal += m[0][0];
      continue;
    }
    parts.push(literal, { name: m[1] });
    literal = '';
    if (!names.includes(m[1])) names.push(m[1]);
  }
  parts.push(literal + template.slice(last));
  return {
    names,
    fill: (values) => parts.map((p) => (typeof p === 'string' ? p : (values[p.name] ?? ''))).join(''),
  };
}

/** The names a template refers to. */
export function templateNames(template: string): string[] {
  return compileTemplate(template).names;
}
