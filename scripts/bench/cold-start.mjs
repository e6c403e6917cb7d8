// Run in a fresh Node process on the installed package (npm pack, npm install): time from here to a
// runtime ready to call, then to its first answer (which loads the HTTP client).
const started = performance.now();
const { createRuntime } = await import(process.argv[2]);
const imported = performance.now();
const runtime = await createRuntime({ credentials: { access_token: 'bench-token-x' }, baseUrl: process.argv[3] ?? 'http://127.0.0.1:9' });
const ready = performance.now();
let firstCallMs;
if (process.argv[3]) {
  await runtime.execute({ entity: 'tags', action: 'list' });
  firstCallMs = performance.now() - ready;
}
await runtime.close();
console.log(JSON.stringify({ importMs: imported - started, loadMs: ready - imported, totalMs: ready - started, firstCallMs }));
