// The processes a transport adds around zfs send and zfs receive.
import type { Compressor, SendTransport } from '../types.js';
import type { Stage } from './pipe.js';

const COMPRESS: Record<Compressor, { pack: string[]; unpack: string[] }> = {
  // Fast levels: on a LAN the link, not the ratio, is what matters; -T0 uses every core.
  zstd: { pack: ['zstd', '-1', '-T0', '-q', '-c'], unpack: ['zstd', '-d', '-q', '-c'] },
  lz4: { pack: ['lz4', '-1', '-q', '-c'], unpack: ['lz4', '-d', '-q', '-c'] },
  gzip: { pack: ['gzip', '-1', '-c'], unpack: ['gzip', '-d', '-c'] },
};

/** After zfs send on the sending host: [dd counter,] compressor. */
export function senderTransport(t: SendTransport, counter: Stage): Stage[] {
  if (!t.compress) return [];
  const stages: Stage[] = t.countOnSender ? [counter] : [];
  stages.push({ argv: COMPRESS[t.compress].pack, what: t.compress });
  return stages;
}

/** Before zfs receive on the receiving host: decompressor, buffer. */
export function receiverTransport(t: SendTransport): Stage[] {
  const stages: Stage[] = [];
  if (t.compress) stages.push({ argv: COMPRESS[t.compress].unpack, what: `${t.compress} -d` });
  if (t.bufferBytes) stages.push({ argv: ['mbuffer', '-q', '-s', '128k', '-m', `${Math.max(1, Math.round(t.bufferBytes / 1048576))}M`], what: 'mbuffer' });
  return stages;
}
