/**
 * ktape errors: every failure a user can cause or meet has a class with a
 * stable code. The CLI prints `ktape: <message>` on one line (no stack) and
 * exits with `exitCode`. Messages name the step, the cause and the fix.
 */
export class KtapeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'KtapeError';
  }
}

/** Bad command line: flag value, unknown event kind, ... (exit 2) */
export class UsageError extends KtapeError {
  constructor(message: string, code = 'E_USAGE') {
    super(code, message, 2);
  }
}

/** Missing privilege or kernel feature needed to record (exit 1) */
export class UnsupportedError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 1);
  }
}

/** libbpf/kernel step failed while recording (exit 1) */
export class BpfError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 1);
  }
}

/** A capture (or one of its files) cannot be read (exit 2) */
export class CaptureError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 2);
  }
}
