// Run in a fresh process: time from here to a runtime ready to call (engine import,
// manifest load and validation, compilation of every operation).
const started = performance.now();
const { createRuntime } = await import('../../src/index.js');
const imported = performance.now();
const runtime = await createRuntime({ credentials: { access_token: 'x' } });
const ready = performance.now();
await runtime.close();
console.log(JSON.stringify({ importMs: imported - started, loadMs: ready - imported, totalMs: ready - started }));
