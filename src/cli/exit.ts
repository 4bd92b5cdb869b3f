/**
 * The exit codes of `cdp`, one table for every command (README "Command line" documents it), so a
 * script can tell "my batch failed" from "my command was wrong" from "the service refused it" from
 * "the service is not there".
 */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed: a batch or run ended `failed`, an admin command could not do it. */
  failed: 1,
  /** The command line or the configuration is wrong (unknown option, bad JSON, no URL or key). */
  usage: 2,
  /** The API refused the request (4xx): bad key, no permission, not found, invalid input. */
  refused: 3,
  /** The service cannot be reached or failed (connection refused, timeout, 5xx). */
  unreachable: 4,
  /** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/** An error the command reports as one `error: …` line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
