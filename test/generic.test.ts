import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createRuntime, NotFoundError, PaginationError, ParameterError, type Runtime } from '../src/index.js';
import { sendJson, startServer, type TestServer } from './support/server.js';

// A non-Intercom API: page numbers from 0 under `paging`, records under `result.items`,
// errors as `{ trace, problems: [{ kind, detail }] }`, a base path, a header parameter.
const MANIFEST = fileURLToPath(new URL('./fixtures/books.yaml', import.meta.url));
const KEY = 'bk_live_7f3a9c';
const BOOKS = Array.from({ length: 23 }, (_, i) => ({
  isbn: `978-${String(i).padStart(4, '0')}`,
  title: `Book ${i}`,
  year: String(1990 + i),
  author: { name: `Author ${i}`, born: 1950 },
  genre: i % 2 ? 'fiction' : 'science',
}));

describe('a second, non-Intercom manifest runs through the same engine', () => {
  let server: TestServer;
  let runtime: Runtime;

  before(async () => {
    server = await startServer((req, res, url) => {
      if (req.headers.authorization !== `Bearer ${KEY}`) return sendJson(res, 401, { trace: 't-401', problems: [{ kind: 'auth', detail: 'bad key' }] });
      const p = url.pathname;
      if (p === '/api/v2/books') {
        const page = Number(url.searchParams.get('p') ?? 0);
        const size = Number(url.searchParams.get('size') ?? 5);
        const genre = url.searchParams.get('g');
        const all = genre ? BOOKS.filter((b) => b.genre === genre) : BOOKS;
        return sendJson(res, 200, {
          result: { items: all.slice(page * size, page * size + size) },
          paging: { current: page, last: Math.ceil(all.length / size) },
        });
      }
      const details = /^\/api\/v2\/books\/([^/]+)\/details$/.exec(p);
      if (details) {
        const book = BOOKS.find((b) => b.isbn === decodeURIComponent(details[1]!));
        if (!book) return sendJson(res, 404, { trace: 't-404', problems: [{ kind: 'missing', detail: 'no such book' }] });
        return sendJson(res, 200, { ...book, lang: req.headers['accept-language'] ?? null });
      }
      const reviews = /^\/api\/v2\/books\/([^/]+)\/reviews$/.exec(p);
      if (reviews) {
        // Misbehaves on purpose: the second page hands back the same cursor again.
        const after = url.searchParams.get('after');
        return sendJson(res, 200, { reviews: [{ stars: after ? 4 : 5 }], next_token: after ? after : 'r1' });
      }
      sendJson(res, 404, { trace: 't-route', problems: [{ kind: 'route', detail: 'no route' }] });
    });
    runtime = await createRuntime({ manifest: MANIFEST, baseUrl: `${server.url}/api/v2`, credentials: { api_key: KEY } });
  });
  after(async () => {
    await runtime.close();
    await server.close();
  });

  it('paginates by page number from 0, under a base path, with the manifest headers', async () => {
    const isbns: string[] = [];
    for await (const book of runtime.paginate({ entity: 'books', action: 'list', params: { size: 5 } })) isbns.push(String(book.isbn));
    assert.deepEqual(isbns, BOOKS.map((b) => b.isbn));
    const pages = server.requests.filter((r) => r.url.startsWith('/api/v2/books?')).map((r) => new URL(r.url, 'http://x').searchParams.get('p'));
    assert.deepEqual(pages, [null, '1', '2', '3', '4']);
    assert.equal(server.requests[0]!.headers['x-client'], 'engine-test');
    assert.match(String(server.requests[0]!.headers['user-agent']), /bookshelf\/1\.2\.0/);
  });

  it('hands out an opaque cursor that resumes at the next page with the same size', async () => {
    const first = await runtime.execute({ entity: 'books', action: 'list', params: { size: 10, genre: 'fiction' } });
    assert.equal((first.data as unknown[]).length, 10);
    const cursor = first.meta!.next_page!;
    assert.equal(typeof cursor, 'string');
    const second = await runtime.execute({ entity: 'books', action: 'list', params: { cursor, genre: 'fiction' } });
    assert.deepEqual(
      (second.data as { isbn: string }[]).map((b) => b.isbn),
      BOOKS.filter((b) => b.genre === 'fiction').slice(10, 20).map((b) => b.isbn),
    );
    assert.equal(second.meta!.next_page, null);
    const last = server.requests.at(-1)!;
    assert.equal(new URL(last.url, 'http://x').searchParams.get('g'), 'fiction', 'genre goes out under its wire name');
    await assert.rejects(
      runtime.execute({ entity: 'books', action: 'list', params: { cursor, size: 3 } }),
      (err: unknown) => err instanceof ParameterError && /issued for 10/.test(err.message),
    );
    await assert.rejects(
      runtime.execute({ entity: 'books', action: 'list', params: { cursor: 'nonsense' } }),
      (err: unknown) => err instanceof ParameterError && err.param === 'cursor',
    );
  });

  it('reshapes records as the schema says and sends header parameters', async () => {
    const { data } = await runtime.execute({ entity: 'books', action: 'get', params: { isbn: '978-0003', lang: 'fr' } });
    assert.deepEqual(
      { isbn: (data as Record<string, unknown>).isbn, year: (data as Record<string, unknown>).year, author: (data as Record<string, unknown>).author },
      { isbn: '978-0003', year: 1993, author: 'Author 3' },
    );
    assert.equal((data as Record<string, unknown>).lang, 'fr');
  });

  it('finds error details where this manifest says they are', async () => {
    await assert.rejects(runtime.execute({ entity: 'books', action: 'get', params: { isbn: 'x/../y' } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.requestId, 't-404');
      assert.deepEqual(err.details, [{ code: 'missing', message: 'no such book' }]);
      assert.match(err.message, /isbn "x\/\.\.\/y"/);
      return true;
    });
    assert.equal(server.requests.at(-1)!.url, '/api/v2/books/x%2F..%2Fy/details', 'path parameters are percent-encoded');
  });

  it('compiles a manifest once, for every runtime that uses it', async () => {
    const { compileConnector } = await import('../src/plan/compile.js');
    const manifest = runtime.manifest;
    const other = await createRuntime({ manifest, baseUrl: `${server.url}/api/v2`, credentials: { api_key: 'another-key-0000' } });
    try {
      assert.equal(compileConnector(other.manifest), compileConnector(manifest), 'one plan per manifest object');
      const { data } = await other.execute({ entity: 'books', action: 'get', params: { isbn: '978-0001' } }).catch((e: unknown) => ({ data: e }));
      assert.ok(data instanceof Error, 'the second runtime has its own credentials (this key is refused)');
    } finally {
      await other.close();
    }
  });

  it('stops with a PaginationError when the API repeats a cursor', async () => {
    const stars: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of runtime.paginate({ entity: 'reviews', action: 'list', params: { isbn: '978-0001' } })) stars.push(Number(r.stars));
      })(),
      (err: unknown) => err instanceof PaginationError && err.resumeCursor === 'r1' && err.code === 'PAGINATION_ERROR',
    );
    assert.deepEqual(stars, [5, 4], 'records before the repeat were delivered');
  });
});
