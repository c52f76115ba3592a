import { NotSupportedError } from '../errors.js';
import type { Spec } from '../types.js';

/** Keys the schema accepts but this version cannot run: refuse them before touching any host. */
export function assertSupported(spec: Spec): void {
  if (spec.unsupported.length === 0) return;
  const lines = spec.unsupported.map((u) => `${u.pos.file}:${u.pos.line}:${u.pos.col}: not supported yet: ${u.key}`);
  throw new NotSupportedError(lines.join('\n'));
}
