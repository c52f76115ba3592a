// How a stream that crosses hosts travels: which compressor (present on both ends), whether the
// receiver buffers it, and a rate limit. Pure: decided from the pair's spec and the probed tools.
import type { Capabilities, Compressor, SendTransport, TransportSpec } from '../types.js';

const AUTO_ORDER: Compressor[] = ['zstd', 'lz4'];

export function transportFor(spec: TransportSpec, source: Capabilities, target: Capabilities): { transport: SendTransport; notes: string[] } {
  const notes: string[] = [];
  const both = (c: Compressor) => source.tools[c] && target.tools[c];
  const t: SendTransport = {};
  if (spec.compress === 'auto') {
    const c = AUTO_ORDER.find(both);
    if (c) t.compress = c;
  } else if (spec.compress !== 'none') {
    if (both(spec.compress)) t.compress = spec.compress;
    else notes.push(`uncompressed: ${spec.compress} is missing on ${[!source.tools[spec.compress] && 'the source host', !target.tools[spec.compress] && 'the target host'].filter(Boolean).join(' and ')}`);
  }
  if (t.compress && source.tools.ddProgress) t.countOnSender = true;
  if (spec.bufferBytes > 0) {
    if (target.tools.mbuffer) t.bufferBytes = spec.bufferBytes;
    else notes.push('no receive buffer: mbuffer is missing on the target host');
  }
  if (spec.bandwidthLimit !== undefined) t.bandwidthLimit = spec.bandwidthLimit;
  return { transport: t, notes };
}
