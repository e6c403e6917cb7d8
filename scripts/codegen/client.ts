import { primaryCredential } from '../../src/auth/choose.js';
import type { Manifest } from '../../src/manifest/types.js';
import { camel, GENERATED_BANNER, operationNames, pascal } from './names.js';

export function clientTypeName(manifest: Manifest): string {
  return `${pascal(manifest.connector.name)}Client`;
}

/**
 * `client.ts`: the interface of the typed client, one member per entity and action, with
 * the manifest's descriptions as doc comments. The implementation is the engine's
 * generic `createClient`; nothing here runs per entity.
 */
export function generateClient(manifest: Manifest, engineImport: string): string {
  const type = clientTypeName(manifest);
  const variable = camel(manifest.connector.name);
  const credential = primaryCredential(manifest);
  const members: string[] = [];
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const lines: string[] = [];
    for (const [action, a] of Object.entries(e.actions)) {
      const names = operationNames(entity, action);
      const optional = Object.values(a.params).some((p) => p.required) ? '' : '?';
      lines.push(`    /** ${a.description ?? `${entity}.${action}`} */`);
      lines.push(`    ${action}(params${optional}: T.${names.params}, options?: RequestOptions): Promise<T.${names.result}>;`);
    }
    const list = e.actions.list;
    if (list?.records) {
      const names = operationNames(entity, 'list');
      const optional = Object.values(list.params).some((p) => p.required) ? '' : '?';
      lines.push(`    /** Every record of \`${entity}.list\`, page after page; \`break\` stops the requests. */`);
      lines.push(
        `    paginate(params${optional}: T.${names.params}, options?: RequestOptions): AsyncGenerator<T.Operations['${entity}']['list']['record'], void, undefined>;`,
      );
    }
    members.push(`  ${entity}: {\n${lines.join('\n')}\n  };`);
  }
  const example = credential ? `{ credentials: { ${credential}: process.env.${manifest.auth.credentials[credential]?.env ?? 'TOKEN'}! } }` : '{}';
  return [
    `// ${GENERATED_BANNER}`,
    `import { createClient as createEngineClient, type RequestOptions, type ClientBase, type RuntimeOptions } from '${engineImport}';`,
    "import { MANIFEST } from './manifest.js';",
    "import type * as T from './types.js';",
    '',
    `/** A typed client for the ${manifest.connector.title ?? manifest.connector.name} connector. */`,
    `export interface ${type} extends ClientBase<T.Operations> {`,
    ...members,
    '}',
    '',
    '/**',
    ` * Creates a ${manifest.connector.title ?? manifest.connector.name} client. The runtime starts on the first call.`,
    ' *',
    ' * @example',
    ` * const ${variable} = createClient(${example});`,
    ` * const { data, meta } = await ${variable}.${Object.keys(manifest.entities)[0]}.${Object.keys(Object.values(manifest.entities)[0]!.actions)[0]}();`,
    ' */',
    `export function createClient(options: RuntimeOptions = {}): ${type} {`,
    `  return createEngineClient<${type}>({ manifest: MANIFEST, ...options });`,
    '}',
    '',
  ].join('\n');
}

/** `index.ts`: the package entry, with the engine's runtime typed by this manifest's operations. */
export function generateIndex(manifest: Manifest, engineImport: string): string {
  return [
    `// ${GENERATED_BANNER}`,
    `import { createRuntime as createEngineRuntime, type Runtime, type RuntimeOptions } from '${engineImport}';`,
    "import { MANIFEST } from './manifest.js';",
    "import type { Operations } from './types.js';",
    '',
    `export * from '${engineImport}';`,
    "export * from './types.js';",
    `export { createClient, type ${clientTypeName(manifest)} } from './client.js';`,
    "export { MANIFEST, SOURCE_SHA256 } from './manifest.js';",
    '',
    '/**',
    ` * The engine's runtime with the types of the ${manifest.connector.name} manifest: a wrong entity, action or`,
    ' * parameter is a compile error, and results carry the record types. For another manifest, use',
    ' * the engine export `createRuntime` with its own generated `Operations`.',
    ' *',
    ' * @example',
    " * const runtime = await createRuntime({ credentials: { ... } });",
    ` * const { data } = await runtime.execute({ entity: '${Object.keys(manifest.entities)[0]}', action: 'list' });`,
    ' */',
    'export function createRuntime(options: RuntimeOptions = {}): Promise<Runtime<Operations>> {',
    '  return createEngineRuntime<Operations>({ manifest: MANIFEST, ...options });',
    '}',
    '',
  ].join('\n');
}
