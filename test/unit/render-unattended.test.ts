// Output for unattended runs: the Markdown plan for pull requests, quiet and timestamped lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFormatOf } from '../../src/cli/commands/plan.js';
import { summarize } from '../../src/plan/summary.js';
import { lineReporter } from '../../src/render/apply-lines.js';
import { mdCode, mdText, renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import type { Action, Plan, SendAction } from '../../src/types.js';

const send: SendAction = {
  id: 'a2', kind: 'send', mode: 'incremental', pair: 'vms -> backup', reason: 'target is 1 snapshot behind', dependsOn: [],
  source: { host: 'local', dataset: 'tank/vm|1' }, target: { host: 'nas', dataset: 'backup/tank/vm|1' },
  from: { name: 'zfsync_20261201T100000Z', guid: '1' }, to: { name: 'zfsync_20261201T110000Z', guid: '2' },
  intermediates: true, snapshotCount: 1, bytes: 12 * 1024 * 1024, bytesFrom: 'dry-run',
  receive: { readonly: true, mount: false, force: false },
};
const conflict: Action = {
  id: 'a3', kind: 'conflict', pair: 'vms -> backup', host: 'nas', dataset: 'backup/tank/vm2', dependsOn: [],
  reason: '', message: 'shares no snapshot with <b>tank/vm2</b>\n| injected | row |', resolution: 'rename it [here](http://x) *now*',
};
const planOf = (actions: Action[]): Plan => ({ actions, notes: ['tank/old vanished @zfsync_x'], summary: summarize(actions) });

describe('plan --format markdown', () => {
  it('a summary table, then one table per pair with every action', () => {
    const md = renderPlanMarkdown(planOf([send, conflict]), { title: 'zfsync plan for zfsync.yaml' });
    assert.match(md, /^### zfsync plan for zfsync\.yaml\n/);
    assert.match(md, /\| to send \| snapshots \| to create \| to roll back \| to destroy \| conflicts \|\n\| ---: (\| ---: ){5}\|\n\| 1 \| 0 \| 0 \| 0 \| 0 \| \*\*1\*\* \|/);
    assert.match(md, /#### vms -&gt; backup\n\n\| {2}\| action \| what \| details \|/);
    assert.match(md, /Total: 1 send, \\~12 MiB \(1 by zfs send -n -P\)/);
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    assert.equal(rows.length, 2, md);
    // Every row has exactly the 4 cells of its table: no `|` from a name or message splits one.
    for (const r of rows) assert.equal(r.replace(/\\\|/g, '').split('|').length - 2, 4, r);
    assert.match(rows[0]!, /`local -> nas: tank\/vm\\\|1 @zfsync_20261201T100000Z -> @zfsync_20261201T110000Z => backup\/tank\/vm\\\|1`/);
  });

  it('nothing from a host or a file becomes markup, HTML, a link, a mention or a new line', () => {
    const md = renderPlanMarkdown(planOf([conflict]));
    assert.doesNotMatch(md, /<b>|[^\\]\]\(http/);
    assert.match(md, /&lt;b&gt;tank\/vm2&lt;\/b&gt;/);
    assert.match(md, /rename it \\\[here\\\]\(http:\/\/x\) \\\*now\\\*/);
    assert.equal(md.split('\n').filter((l) => l.includes('injected')).length, 1);
    assert.match(md, /- tank\/old vanished `@zfsync_x`/);
    assert.equal(mdText('a @snap b'), 'a `@snap` b');
    assert.equal(mdCode('x\x1b[31my'), '`x\\u001b[31my`');
  });

  it('an empty plan says so', () => {
    assert.match(renderPlanMarkdown(planOf([])), /\*\*No changes\.\*\*/);
  });

  it('--format and --json', () => {
    assert.equal(planFormatOf({}), 'text');
    assert.equal(planFormatOf({ json: true }), 'json');
    assert.equal(planFormatOf({ format: 'markdown' }), 'markdown');
    assert.throws(() => planFormatOf({ format: 'html' }), /--format must be text, json or markdown, not 'html'/);
    assert.throws(() => planFormatOf({ json: true, format: 'markdown' }), /contradict/);
  });
});

describe('apply lines for logs', () => {
  const events = (quiet: boolean, dryRun = false) => {
    const lines: string[] = [];
    const emit = lineReporter((l) => lines.push(l), { dryRun, quiet, stamp: () => '2026-12-01T22:30:05Z' });
    emit({ type: 'action-start', action: send });
    emit({ type: 'command', id: 'a2', host: 'local -> nas', command: 'zfs send ... | zfs receive ...' });
    emit({ type: 'action-progress', id: 'a2', bytes: 1024, bytesPerSecond: 1024 });
    emit({ type: 'action-failed', id: 'a2', error: 'zfs receive on nas failed' });
    emit({ type: 'apply-done', done: 0, failed: 1, skipped: 0, conflicts: 0, dryRun });
    return lines;
  };

  it('every line carries a timestamp', () => {
    const lines = events(false);
    assert.ok(lines.length >= 4);
    for (const l of lines) assert.match(l, /^2026-12-01T22:30:05Z \[a2\]|^2026-12-01T22:30:05Z Apply:/);
  });

  it('--quiet: only the failure and the summary', () => {
    const lines = events(true);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /\[a2\] FAILED: send incremental local -> nas: tank\/vm\|1/);
    assert.match(lines[1]!, /Apply: 0 done, 1 failed, 0 skipped\./);
  });

  it('a dry run prints its commands bare, to be read or pasted', () => {
    assert.ok(events(false, true).some((l) => l.startsWith('[a2]   local -> nas$ zfs send')));
  });
});
