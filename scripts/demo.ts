/** npm run demo: the main job (see sandbox/demo.ts). */
import { runDemo } from '../sandbox/demo.js';

process.exitCode = await runDemo();
