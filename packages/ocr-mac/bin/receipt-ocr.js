#!/usr/bin/env node
// `receipt-ocr`: the worker is TypeScript run from source (no build step), so register tsx's
// loader first, then hand over to src/cli/main.ts. See docs/ocr-worker.md.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
// Exit explicitly: an idle keep-alive socket or OCR thread must not keep a finished worker alive.
process.exit(await main(process.argv.slice(2)));
