/** Errors of the console package's node side, each with a stable `code`. */
export class ConsoleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Vite could not build the console (a syntax error in its sources, a missing dependency). */
export class ConsoleBuildError extends ConsoleError {
  constructor(root: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('CONSOLE_BUILD_FAILED', `the console in ${root} could not be built: ${reason}`, options);
  }
}
