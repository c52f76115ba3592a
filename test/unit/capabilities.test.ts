// parseProbe on the OpenZFS 2.3.2 probe (test/fixtures/openzfs-2.3/probe.txt), and the
// `sendEstimate` capability (`zfs send -n -P`) on every recorded probe. The 2.1 and zfs-fuse
// probes' other capabilities are checked in zfs-recorded.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeCapabilities, parseProbe } from '../../src/zfs/capabilities.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

describe('parseProbe on OpenZFS 2.3.2 (recorded)', () => {
  const text = fixture('openzfs-2.3/probe.txt');
  const caps = parseProbe(text);

  it('every modern capability, the version, and the tools found on the guest', () => {
    assert.equal(caps.implementation, 'openzfs');
    assert.equal(caps.version, '2.3.2-2~bpo12+2');
    assert.equal(describeCapabilities(caps), 'OpenZFS 2.3.2-2~bpo12+2');
    for (const k of ['listParsable', 'multiSnapshot', 'receiveNoMount', 'receiveProperties', 'resumable', 'written', 'bookmarks', 'holds', 'rawSend', 'compressedSend', 'largeBlocks', 'sendEstimate', 'encryption'] as const) {
      assert.equal(caps[k], true, k);
    }
    assert.deepEqual(caps.tools, { zstd: true, lz4: false, gzip: true, mbuffer: true, pv: true, ddProgress: true, rsync: false });
  });

  it('reads 2.3\'s send usage, whose first line wraps (`-R [-X ...]` and `<snapshot>` on the next line)', () => {
    assert.match(text, /^\tsend \[-DLPbcehnpsVvw\] \[-i\|-I snapshot\]\n\t +\[-R \[-X dataset\[,dataset\]\.\.\.\]\] +<snapshot>$/m);
  });
});

describe('sendEstimate: `zfs send -n -P`', () => {
  it('OpenZFS 2.1 and 2.3 have it; zfs-fuse (send [-RDp] only) does not', () => {
    assert.equal(parseProbe(fixture('openzfs-2.1/probe.txt')).sendEstimate, true);
    assert.equal(parseProbe(fixture('openzfs-2.3/probe.txt')).sendEstimate, true);
    const fuse = fixture('zfs-fuse/probe.txt');
    assert.match(fuse, /^\tsend \[-RDp\] \[-\[iI\] snapshot\] <snapshot>$/m);
    assert.equal(parseProbe(fuse).sendEstimate, false);
  });

  it('needs both -n and -P', () => {
    const probe = (send: string) => `@@version\nzfs-9.9\n@@usage\nusage: zfs command args ...\n\t${send}\n@@props\n@@tools\n@@end\n`;
    assert.equal(parseProbe(probe('send [-DnPpRv] [-[iI] snapshot] <snapshot>')).sendEstimate, true);
    assert.equal(parseProbe(probe('send [-DnpRv] [-[iI] snapshot] <snapshot>')).sendEstimate, false);
    assert.equal(parseProbe(probe('send [-DPpRv] [-[iI] snapshot] <snapshot>')).sendEstimate, false);
  });
});
