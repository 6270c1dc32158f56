/**
 * ktape errors: every failure a user can cause or meet has a class with a
 * stable code. The CLI prints `ktape: <message>` on one line (no stack;
 * `ktape --verbose` prefixes the code: `ktape: [E_USAGE] ...`) and exits with
 * the status the EXIT table below gives the class. This module is the one
 * place exit statuses are decided (exitStatus).
 */

/** Exit statuses, by kind of failure. */
export const EXIT = {
  /** a rule breached, a query failed, a recording step failed: the run's answer is "no" */
  failure: 1,
  /** bad command line, or a capture/database that cannot be read */
  usage: 2,
  capture: 2,
  /** missing privilege or kernel feature */
  unsupported: 1,
  bpf: 1,
  /** a bug in ktape (EX_SOFTWARE) */
  internal: 70,
} as const;

export type ExitKind = keyof typeof EXIT;

/** Code shown with --verbose for errors that are not KtapeErrors. */
export const CODE_USAGE = 'E_USAGE';
export const CODE_INTERNAL = 'E_INTERNAL';

export class KtapeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** exit status: prefer a kind (EXIT); a number is kept for callers that pass one */
    exit: ExitKind | number = 'failure',
  ) {
    super(message);
    this.name = 'KtapeError';
    this.exitCode = typeof exit === 'number' ? exit : EXIT[exit];
  }
  readonly exitCode: number;
}

/** Bad command line: flag value, unknown event kind, ... (exit 2) */
export class UsageError extends KtapeError {
  constructor(message: string, code = CODE_USAGE) {
    super(code, message, 'usage');
  }
}

/** Missing privilege or kernel feature needed to record (exit 1) */
export class UnsupportedError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 'unsupported');
  }
}

/** libbpf/kernel step failed while recording (exit 1) */
export class BpfError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 'bpf');
  }
}

/** A capture (or one of its files) cannot be read (exit 2) */
export class CaptureError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 'capture');
  }
}

/** The exit status and stable code of anything thrown out of a subcommand. */
export function exitStatus(e: unknown): { status: number; code: string } {
  if (e instanceof KtapeError) return { status: e.exitCode, code: e.code };
  // the command-line parser's own errors (CommanderError: unknown option, missing argument, bad choice)
  if (e instanceof Error && /^commander\./.test(String((e as { code?: unknown }).code))) return { status: EXIT.usage, code: CODE_USAGE };
  return { status: EXIT.internal, code: CODE_INTERNAL };
}
