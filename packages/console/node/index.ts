export { CONSOLE_ROOT, consoleSourceHash, ensureConsoleBuilt, type ConsoleBuildOptions } from './build.js';
export { ConsoleBuildError, ConsoleError } from './errors.js';
