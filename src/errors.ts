// DistillError: errors are data (a code, details, a hint); the CLI renders them once and maps codes to exit codes.

/** Exit codes of the CLI (DESIGN section 17). */
export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  invalid_input: 3,
  git: 4,
  race_lost: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every error code we raise, with the exit code the CLI uses for it. */
export const ERROR_CODES = {
  E_USAGE: EXIT.usage,
  E_CONFIG_INVALID: EXIT.usage,
  E_CONFIG_UNREADABLE: EXIT.usage,
  E_INPUT_NOT_FOUND: EXIT.invalid_input,
  E_INPUT_UNREADABLE: EXIT.invalid_input,
  E_INPUT_FORMAT_UNKNOWN: EXIT.invalid_input,
  E_INPUT_QUARANTINED: EXIT.invalid_input,
  E_SCHEMA_VERSION_OLDER: EXIT.invalid_input,
  E_SCHEMA_VERSION_NEWER: EXIT.invalid_input,
  E_RECORD_INVALID: EXIT.invalid_input,
  E_GIT_FAILED: EXIT.git,
  E_GIT_NOT_A_REPO: EXIT.git,
  E_GIT_BAD_REVISION: EXIT.git,
  E_STORE_RACE_LOST: EXIT.race_lost,
  E_STORE_CORRUPT: EXIT.findings,
  E_VERIFY_FAILED: EXIT.findings,
  E_EMBEDDER_FAILED: EXIT.usage,
  E_INTERNAL: EXIT.usage,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DistillErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type of git-distill: what failed and where (`message`), the next command to run (`hint`). */
export class DistillError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: DistillErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DistillError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code];
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      details: this.details,
    };
  }
}

export function isDistillError(value: unknown): value is DistillError {
  return value instanceof DistillError;
}
