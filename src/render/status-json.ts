// The status as a versioned JSON document (schemas/status.schema.json describes it).
import type { Spec } from '../types.js';
import type { StatusReport } from '../status/types.js';
import { VERSION } from '../version.js';

export interface StatusDocument extends Omit<StatusReport, 'generatedAt'> {
  format: 'zfsync-status';
  version: 1;
  zfsync: string;
  generatedAt: string;
  spec: { file: string; hash: string };
}

export function statusDocument(spec: Spec, r: StatusReport): StatusDocument {
  return {
    format: 'zfsync-status',
    version: 1,
    zfsync: VERSION,
    generatedAt: r.generatedAt,
    spec: { file: spec.file, hash: spec.hash },
    maxLagSeconds: r.maxLagSeconds,
    summary: r.summary,
    pairs: r.pairs,
  };
}
