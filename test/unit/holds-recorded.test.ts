// zfsync's holds and bookmarks in the state read, and the hold kind's command lines, against
// output recorded on OpenZFS 2.1.11 and 2.3.2 (test/fixtures/openzfs-*/README.md: holds-*).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { actionSteps } from '../../src/apply/steps.js';
import { parseProbe } from '../../src/zfs/capabilities.js';
import { sendArgv } from '../../src/zfs/commands.js';
import { parseStateOutput } from '../../src/zfs/state-read.js';
import type { HoldAction } from '../../src/types.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const F = 'vmtank/holds-fx';

for (const v of ['2.1', '2.3']) {
  const caps = parseProbe(fixture(`openzfs-${v}/probe.txt`));
  const state = parseStateOutput(fixture(`openzfs-${v}/holds-list.txt`), caps);
  const transcript = fixture(`openzfs-${v}/holds-transcript.txt`);

  describe(`OpenZFS ${v}: holds and bookmarks in the state read`, () => {
    it('probes holds and bookmarks', () => {
      assert.equal(caps.holds, true);
      assert.equal(caps.bookmarks, true);
    });

    it('reads zfsync tags from zfsync:holds and the hold count from userrefs, per snapshot', () => {
      const src = state.get(`${F}/src`)!;
      assert.deepEqual(src.snapshots.map((s) => [s.name, s.userrefs ?? 0, s.holds ?? []]), [
        ['s2', 2, ['zfsync-00000000000000aa', 'zfsync-00000000000000bb']],
        ['s3', 1, []], // another tool's hold: counted, no zfsync tag
      ]);
      const spaced = state.get(`${F}/src/with space`)!;
      // A record whose hold was released: tag recorded, userrefs 0.
      assert.deepEqual(spaced.snapshots.map((s) => [s.name, s.userrefs ?? 0, s.holds ?? []]), [['s1', 0, ['zfsync-00000000000000cc']], ['s2', 0, []]]);
    });

    it('attaches bookmarks to their dataset with guid and createtxg, never as snapshots or datasets', () => {
      assert.deepEqual([...state.keys()].sort(), [`${F}/src`, `${F}/src/with space`]);
      const src = state.get(`${F}/src`)!;
      assert.equal(src.bookmarks?.length, 1);
      const bm = src.bookmarks![0]!;
      assert.equal(bm.name, 's1');
      assert.match(bm.guid, /^\d{15,20}$/);
      // The bookmark outlives @s1 (destroyed), one txg before @s2.
      assert.equal(bm.createtxg, src.snapshots[0]!.createtxg - 1);
      const spaced = state.get(`${F}/src/with space`)!;
      assert.equal(spaced.bookmarks![0]!.guid, spaced.snapshots[1]!.guid, 'a bookmark has its snapshot\'s guid');
    });

    it('the hold kind runs exactly the command lines the transcript shows succeeding', () => {
      const a: HoldAction = {
        id: 'a1', kind: 'hold', pair: 'p', reason: '', dependsOn: [], tag: 'zfsync-00000000000000aa', meaning: 'local:x -> nas:y',
        sides: [{ side: 'source', host: 'local', dataset: `${F}/src`, release: [{ snapshot: 's2', tags: ['zfsync-00000000000000bb'], held: true }] }],
      };
      const argvs = actionSteps(a, () => ({ zfs: 'zfs', capabilities: caps })).map((s) => (s.kind === 'run' ? s.argv.join(' ') : ''));
      assert.deepEqual(argvs, [
        `zfs release zfsync-00000000000000aa ${F}/src@s2`,
        `zfs set zfsync:holds=zfsync-00000000000000bb ${F}/src@s2`,
        `zfs inherit zfsync:hold:zfsync-00000000000000aa ${F}/src@s2`,
      ]);
      // The recording script ran these lines (with its $F expanded), and it ran under `set -e`.
      const ran = fixture(`openzfs-2.1/holds-record.sh`).replaceAll('$F', F).replaceAll('"', '').split('\n');
      for (const line of argvs) assert.ok(ran.includes(line), line);
      // Afterwards only the other tag is held and recorded, the meaning is gone.
      assert.match(transcript, new RegExp(`${F}/src@s2\tzfsync:holds\tzfsync-00000000000000bb\tlocal`));
      assert.match(transcript, new RegExp(`${F}/src@s2\tzfsync:hold:zfsync-00000000000000aa\t-\t-`));
      assert.match(transcript.split('@@inherit')[1]!, new RegExp(`^${F}/src@s2\tzfsync-00000000000000bb\t`, 'm'));
    });

    it('send -i from a bookmark: the argv the transcript ran, and -P sizes it', () => {
      const argv = sendArgv('zfs', { dataset: `${F}/src`, from: 's1', fromBookmark: true, to: 's3', intermediates: true });
      assert.deepEqual(argv, ['zfs', 'send', '-i', `${F}/src#s1`, `${F}/src@s3`]);
      assert.match(transcript, new RegExp(`incremental\t${F}/src#s1\t${F}/src@s3\t\\d+\nsize\t\\d+`));
    });
  });
}
