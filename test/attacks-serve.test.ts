// Attacks on `serve`: its sockets, its shutdown, its database, its keys and its answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigurationError } from '../src/index.js';
import { decrypt, encrypt, newKey, readKeyFile, writeKeyFile } from '../src/serve/secrets.js';
import { api, BIN, closers, DEF, http, KEY, run, startServe, tempDir } from './support/attack.js';
import { sendJson } from './support/server.js';

const TOKEN_A = 'token-of-instance-a-0001';
const TOKEN_B = 'token-of-instance-b-0002';

/** An upstream that says which token it was sent, as a tag. */
async function whoami() {
  return http((req, res) => sendJson(res, 200, { type: 'list', data: [{ type: 'tag', id: '1', name: String(req.headers.authorization) }] }));
}

async function rawSocket(url: string): Promise<Socket> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => {});
  closers.push(async () => socket.destroy());
  return socket;
}

describe('attack: sockets and shutdown', () => {
  it('connections over the cap are closed on arrival', async () => {
    const server = await startServe({ maxConnections: 3 });
    const held = await Promise.all([1, 2, 3].map(() => rawSocket(server.url)));
    const extra = await rawSocket(server.url);
    await once(extra, 'close');
    for (const s of held) s.destroy();
  });

  it('close() ends half-open sockets (partial headers) after the grace period instead of waiting for their timeouts', async () => {
    const server = await startServe({ shutdownGraceMs: 200, headersTimeoutMs: 60_000, requestTimeoutMs: 120_000 });
    const sockets = await Promise.all([1, 2, 3].map(() => rawSocket(server.url)));
    for (const s of sockets) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await server.close();
    await Promise.all(sockets.map((s) => (s.destroyed ? Promise.resolve() : once(s, 'close'))));
  });

  it('the binary exits on SIGTERM with half-open sockets, within ten seconds', async () => {
    const dir = await tempDir('attack-sigterm-');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', join(dir, 'c.db')], { env: { ...process.env, CONNECTOR_API_KEYS: KEY }, stdio: ['ignore', 'ignore', 'pipe'] });
    closers.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    while (!/on (http:\/\/\S+)/.test(stderr)) await once(child.stderr!, 'data');
    const url = /on (http:\/\/\S+)/.exec(stderr)![1]!;
    const sockets = await Promise.all([1, 2, 3].map(() => rawSocket(url)));
    for (const s of sockets) s.write('POST /api/v1/connectors/instances HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n');
    const started = performance.now();
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0, stderr);
    assert.ok(seconds <= 10, `took ${seconds.toFixed(1)} s`);
  });
});

describe('attack: the database', () => {
  it('a file that is not a database is refused at start, with what to do', async () => {
    const dir = await tempDir('attack-db-');
    await writeFile(join(dir, 'c.db'), Buffer.alloc(8192, 0x42));
    await assert.rejects(startServe({}, dir), (e: unknown) => e instanceof ConfigurationError && /[Rr]estore it from a backup/.test(e.message));
  });

  it('an empty database beside its key file is a lost database, not a new one', async () => {
    const dir = await tempDir('attack-db-');
    const first = await startServe({}, dir);
    await first.close();
    await writeFile(join(dir, 'c.db'), '');
    await assert.rejects(startServe({}, dir), (e: unknown) => e instanceof ConfigurationError && /is empty, but its key file .* exists/.test(e.message));
  });

  it('is created readable by its owner only', async () => {
    const dir = await tempDir('attack-db-');
    await startServe({}, dir);
    assert.equal((await stat(join(dir, 'c.db'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'c.db.key'))).mode & 0o777, 0o600);
  });

  it('/healthz answers 503 once the store cannot answer', async () => {
    const dir = await tempDir('attack-db-');
    const server = await startServe({}, dir);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    // The store broken under the running server (its table gone): every list would now fail.
    const db = new Database(join(dir, 'c.db'));
    db.exec('DROP TABLE instances');
    db.close();
    assert.equal((await api(server, 'GET', '/api/v1/connectors/instances')).status, 500);
    const res = await fetch(`${server.url}/healthz`);
    const body = (await res.json()) as { status: string; reason?: string };
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.status, 'unavailable');
  });
});

describe('attack: keys', () => {
  it('a missing key file is not regenerated for a database that holds sealed credentials', async () => {
    const dir = await tempDir('attack-key-');
    const first = await startServe({}, dir);
    await api(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN_A }, name: 'a' });
    await first.close();
    await writeFile(join(dir, 'moved.key'), await readFile(join(dir, 'c.db.key')));
    await rm(join(dir, 'c.db.key'));
    await assert.rejects(startServe({}, dir), (e: unknown) => e instanceof ConfigurationError && /key file .*c\.db\.key is missing, but the database holds credentials/.test(e.message));
    assert.ok(!existsSync(join(dir, 'c.db.key')), 'no new key was written');
  });

  it('a key file others can read is refused', async () => {
    const dir = await tempDir('attack-key-');
    await (await startServe({}, dir)).close();
    await chmod(join(dir, 'c.db.key'), 0o644);
    await assert.rejects(startServe({}, dir), (e: unknown) => e instanceof ConfigurationError && /can be read by other users \(mode 0644\).*chmod 600/.test(e.message));
  });

  it('serve rotate-key re-seals every instance under a new key; the server starts with it and calls as before', async () => {
    const dir = await tempDir('attack-key-');
    const upstream = await whoami();
    const first = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    const a = await api(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN_A }, name: 'a' });
    await first.close();
    const before = await readFile(join(dir, 'c.db.key'), 'utf8');
    const r = await run(['serve', 'rotate-key', '--db', join(dir, 'c.db')], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Re-sealed 1 instance under a new key, now in .*c\.db\.key/);
    assert.notEqual(await readFile(join(dir, 'c.db.key'), 'utf8'), before);
    const second = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    const out = await api(second, 'POST', `/api/v1/connectors/instances/${a.json.id}/execute`, { entity: 'tags', action: 'list' });
    assert.equal(out.status, 200, out.text);
    assert.equal(out.json.data[0].name, `Bearer ${TOKEN_A}`);
  });

  it('a rotation stopped between the database and the key file is finished at the next start', async () => {
    const dir = await tempDir('attack-key-');
    const upstream = await whoami();
    const first = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    const a = await api(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN_A }, name: 'a' });
    await first.close();
    // What rotate-key does, stopped before its last step (the rename of the new key file).
    const old = (await readKeyFile(join(dir, 'c.db.key')))!;
    const next = newKey();
    await writeKeyFile(join(dir, 'c.db.key.new'), next);
    const db = new Database(join(dir, 'c.db'));
    for (const row of db.prepare('SELECT id, sealed_auth FROM instances').all() as { id: string; sealed_auth: Buffer }[]) {
      db.prepare('UPDATE instances SET sealed_auth = ? WHERE id = ?').run(encrypt(next, decrypt(old, row.sealed_auth, row.id)!, row.id), row.id);
    }
    db.prepare("UPDATE settings SET value = ? WHERE key = 'key_check'").run(encrypt(next, 'connector-engine secret key check', 'key_check'));
    db.close();
    const second = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    assert.ok(!existsSync(join(dir, 'c.db.key.new')), 'the new key file took the old one\'s place');
    const out = await api(second, 'POST', `/api/v1/connectors/instances/${a.json.id}/execute`, { entity: 'tags', action: 'list' });
    assert.equal(out.status, 200, out.text);
  });

  it('sealed credentials copied into another instance\'s row do not open there', async () => {
    const dir = await tempDir('attack-key-');
    const upstream = await whoami();
    const first = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    const a = await api(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN_A }, name: 'a' });
    const b = await api(first, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN_B }, name: 'b' });
    await first.close();
    const db = new Database(join(dir, 'c.db'));
    const sealedA = (db.prepare('SELECT sealed_auth FROM instances WHERE id = ?').get(a.json.id) as { sealed_auth: Buffer }).sealed_auth;
    db.prepare('UPDATE instances SET sealed_auth = ? WHERE id = ?').run(sealedA, b.json.id);
    db.close();
    const second = await startServe({ runtime: { baseUrl: upstream.url } }, dir);
    const out = await api(second, 'POST', `/api/v1/connectors/instances/${b.json.id}/execute`, { entity: 'tags', action: 'list' });
    assert.equal(out.status, 500);
    assert.match(out.json.error.message, /cannot be decrypted/);
    assert.ok(!out.text.includes(TOKEN_A));
  });
});

describe('attack: the API\'s answers', () => {
  it('only JSON bodies (415), Allow with 405, and API keys compared whole', async () => {
    const server = await startServe();
    const text = await api(server, 'POST', '/api/v1/connectors/instances', 'connector_definition_id=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(text.status, 415);
    assert.equal(text.json.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const put = await api(server, 'PUT', '/api/v1/connectors/instances', {});
    assert.equal(put.status, 405);
    assert.match(String(put.headers.get('allow')), /POST/);
    for (const key of [`${KEY}x`, KEY.slice(0, 10), `${KEY.slice(0, -1)}1`, '']) {
      const r = await fetch(`${server.url}/api/v1/connectors/definitions`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.status, 401, `key ${JSON.stringify(key)} was accepted`);
    }
  });

  it('a client that leaves in the middle of its body is one log line', async () => {
    const lines: string[] = [];
    const server = await startServe({ log: (l) => lines.push(l) });
    const socket = await rawSocket(server.url);
    const received = once(server.server, 'request');
    socket.write(`POST /api/v1/connectors/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"connector_defin`);
    await received;
    socket.destroy();
    while (!lines.some((l) => l.includes('client closed the connection'))) await new Promise((r) => setImmediate(r));
    assert.equal(lines.filter((l) => l.includes('client closed')).length, 1);
  });
});
