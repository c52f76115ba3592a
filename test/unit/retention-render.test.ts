// The destroy kind where people read it: markdown, apply progress lines, the preview, and
// the CLI's refusals (one line, exit 1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planWithRetention } from '../../src/plan/planner.js';
import { snapshotName } from '../../src/plan/snapshot-names.js';
import { actionTitle } from '../../src/render/apply-lines.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderRetentionPreview } from '../../src/retention/preview.js';
import { parseSpec } from '../../src/spec/load.js';
import type { DestroyAction } from '../../src/types.js';
import { specFile, zfsync } from '../helpers/cli.js';
import { HostBuilder, OPENZFS, stateOf } from '../helpers/state-builder.js';

const NOW = new Date('2026-11-10T12:00:00Z');
const day = (d: number) => snapshotName('zfsync', new Date(Date.UTC(2026, 10, d)));
const SPEC = `version: 1
sources:
  vms: { datasets: [tank/vm], retention: { last: 1 } }
targets:
  bk: { dataset: backup, strip_path: 1, retention: { last: 2 } }
replicate:
  - { from: vms, to: bk }
`;

function world() {
  const h = new HostBuilder('local', OPENZFS).fs('tank/vm').fs('backup');
  for (let d = 1; d <= 4; d++) h.snap('tank/vm', day(d));
  h.snap('tank/vm', 'before-upgrade');
  h.received('backup/vm', h, 'tank/vm', [day(1), day(2), day(3)]);
  h.get('tank/vm').snapshots[1]!.userrefs = 2;
  // The send brings day 4 and the foreign `before-upgrade` (-I); the target judges days 1..4.
  return stateOf(h);
}

describe('destroy rendering', () => {
  const { plan, retention } = planWithRetention(parseSpec(SPEC, 'zfsync.yaml'), world(), NOW);
  const ds = plan.actions.filter((a): a is DestroyAction => a.kind === 'destroy');

  it('markdown: a row per destroy and the destroy count in the summary table', () => {
    const md = renderPlanMarkdown(plan);
    assert.match(md, /\| `-` \| destroy \| `local: tank\/vm @zfsync_20261101T000000Z` \| `1 snapshot: not kept by last:1; 1 zfs call`<br>sources\.vms\.retention: last:1 keeps 1 of 4 zfsync snapshots; 2 more are protected/);
    assert.match(md, /\| 1 \| 0 \| 0 \| 0 \| 3 \| 0 \|/);
  });

  it('apply lines name the dataset, the count and the side', () => {
    assert.deepEqual(ds.map(actionTitle), ['destroy local: tank/vm 1 snapshot (source retention)', 'destroy local: backup/vm 2 snapshots (target retention)']);
  });

  it('the preview says why each zfsync snapshot stays, per side; foreign ones are not listed', () => {
    const text = renderRetentionPreview(retention.report);
    assert.equal(
      text,
      [
        'Retention (zfsync snapshots, oldest first)',
        '',
        'sources.vms on local: tank/vm  (last:1)',
        `  destroy  @${day(1)}`,
        `  keep     @${day(2)}  (held)`,
        `  keep     @${day(3)}  (newest common snapshot)`,
        `  keep     @${day(4)}  (last:1)`,
        '  3 kept, 1 to destroy',
        '',
        "targets.bk on local: backup/vm  (last:2; as after this plan's sends)",
        `  destroy  @${day(1)}`,
        `  destroy  @${day(2)}`,
        `  keep     @${day(3)}  (last:2)`,
        `  keep     @${day(4)}  (last:2)`,
        '  2 kept, 2 to destroy',
        '',
      ].join('\n'),
    );
  });
});

describe('retention at the CLI', () => {
  it('--retention is a text report: with --format json it is a usage error', async () => {
    const r = await zfsync(['plan', '-c', 'unused.yaml', '--retention', '--format', 'json']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--retention is a text report; it cannot be combined with --format json/);
  });

  it('validate: a policy keeping nothing is one precise line, exit 1', async (t) => {
    const { spec } = await specFile(t, SPEC.replace('retention: { last: 1 }', 'retention: { last: 0, daily: 0 }'));
    const r = await zfsync(['validate', '-c', spec]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /zfsync\.yaml:3:31: sources\.vms\.retention: retention keeps nothing/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
