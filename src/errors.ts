// Tiny error classes. The CLI's one handler maps them to messages and exit codes;
// anything else is a bug and is printed with its stack.
import { constants } from 'node:os';
import type { SourcePos } from './types.js';

export class ZfsyncError extends Error {
  override name = 'ZfsyncError';
  exitCode = 1;
}

export interface SpecProblem {
  pos?: SourcePos;
  /** Dotted key path, e.g. `targets.offsite.dataset`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatProblem(p: SpecProblem, file: string): string {
  const where = p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.col}` : file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** The spec file is missing, unparsable, or fails the schema or a semantic check. */
export class SpecError extends ZfsyncError {
  override name = 'SpecError';
  constructor(
    readonly file: string,
    readonly problems: SpecProblem[],
  ) {
    super(problems.map((p) => formatProblem(p, file)).join('\n'));
  }
}

/** Bad flags or arguments. */
export class UsageError extends ZfsyncError {
  override name = 'UsageError';
}

/** A saved plan file that cannot be read or is not a zfsync plan of a known version. */
export class PlanFileError extends ZfsyncError {
  override name = 'PlanFileError';
}

/** A saved plan whose hosts (or spec) changed since it was made. */
export class StalePlanError extends ZfsyncError {
  override name = 'StalePlanError';
  constructor(
    message: string,
    readonly diff: string,
  ) {
    super(message);
  }
}

/** A host could not be reached or read. */
export class HostError extends ZfsyncError {
  override name = 'HostError';
}

/** The user declined the prompt. */
export class AbortedError extends ZfsyncError {
  override name = 'AbortedError';
}

/**
 * zfsync was told to stop (SIGINT, SIGTERM, SIGHUP): the reason its AbortController is aborted
 * with, thrown where a command stops before changing anything. Exit code 128 + the signal number.
 */
export class InterruptedError extends ZfsyncError {
  override name = 'InterruptedError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`Interrupted (${signal}): nothing was changed.`);
    this.exitCode = 128 + (constants.signals[signal] ?? 0);
  }
}

/** A lock another apply holds (past --lock-timeout), or one that cannot be taken or removed. */
export class LockError extends ZfsyncError {
  override name = 'LockError';
}
