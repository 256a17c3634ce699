'use strict';
// The tesseract.js worker thread, with its stderr discarded. The WASM core (tesseract and
// leptonica) prints diagnostics such as "Image too small to scale!!" or "Error in
// boxClipToRectangle" straight to stderr, where they land between a CLI's own output. They say
// nothing the job's result does not: failures still reach the caller as rejected jobs, through
// the worker's messages, which this does not touch.
const path = require('node:path');

process.stderr.write = () => true;
console.error = () => undefined;
console.warn = () => undefined;

const tesseractMain = require.resolve('tesseract.js');
require(path.join(path.dirname(tesseractMain), 'worker-script', 'node', 'index.js'));
