// Spec fixtures written line by line, and the problems parseSpec reports for them.
import assert from 'node:assert/strict';
import { SpecError } from '../../src/errors.js';
import { parseSpec } from '../../src/spec/load.js';

/** One line per array entry, so fixture line numbers are index + 1. */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** The lines of the SpecError the spec gets (as `file:line:col: path: message`); fails if it parses. */
export function problems(...lines: string[]): string[] {
  try {
    parseSpec(yaml(...lines), 'zfsync.yaml');
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    return err.message.split('\n');
  }
  return assert.fail('expected a SpecError');
}
