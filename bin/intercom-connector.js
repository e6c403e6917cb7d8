#!/usr/bin/env node
// The command line runs from the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../sandbox/cli.ts');
