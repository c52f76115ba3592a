// Pure parts of SSH replication: transport choice from probed tools, the remote pipeline
// line and its exit-status markers, and the apply scheduler (lanes, pools, dependencies).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { schedule } from '../../src/apply/schedule.js';
import { pipelineScript, StatusFilter, statusOf } from '../../src/host/ssh/pipeline.js';
import { transportFor } from '../../src/plan/transport.js';
import type { Action, Capabilities, HostTools, SendAction } from '../../src/types.js';
import { LEGACY, OPENZFS } from '../helpers/state-builder.js';

const withTools = (caps: Capabilities, tools: Partial<HostTools>): Capabilities => ({ ...caps, tools: { ...caps.tools, ...tools } });
const NONE: HostTools = { zstd: false, lz4: false, gzip: false, mbuffer: false, pv: false, ddProgress: false, rsync: false };

describe('transportFor', () => {
  const all = withTools(OPENZFS, { zstd: true, lz4: true, gzip: true, mbuffer: true, ddProgress: true });
  const bare = { ...LEGACY, tools: NONE };

  it('auto takes zstd, else lz4, only where both ends have it', () => {
    assert.equal(transportFor({ compress: 'auto', bufferBytes: 0 }, all, all).transport.compress, 'zstd');
    assert.equal(transportFor({ compress: 'auto', bufferBytes: 0 }, all, withTools(all, { zstd: false })).transport.compress, 'lz4');
    const none = transportFor({ compress: 'auto', bufferBytes: 0 }, all, bare);
    assert.equal(none.transport.compress, undefined);
    assert.deepEqual(none.notes, [], 'auto without a common tool is not worth a note');
  });

  it('a named compressor missing on either end means no compression, and says where', () => {
    for (const c of ['zstd', 'lz4', 'gzip'] as const) {
      const present = transportFor({ compress: c, bufferBytes: 0 }, all, all);
      assert.equal(present.transport.compress, c);
      assert.equal(present.transport.countOnSender, true, 'counts the uncompressed stream with dd on the sender');
      const absent = transportFor({ compress: c, bufferBytes: 0 }, all, withTools(all, { [c]: false }));
      assert.equal(absent.transport.compress, undefined);
      assert.deepEqual(absent.notes, [`uncompressed: ${c} is missing on the target host`]);
    }
    const neither = transportFor({ compress: 'gzip', bufferBytes: 0 }, bare, bare);
    assert.deepEqual(neither.notes, ['uncompressed: gzip is missing on the source host and the target host']);
  });

  it('buffers with mbuffer only where the receiver has it; keeps the rate limit', () => {
    assert.equal(transportFor({ compress: 'none', bufferBytes: 128 << 20 }, bare, all).transport.bufferBytes, 128 << 20);
    const missing = transportFor({ compress: 'none', bufferBytes: 128 << 20, bandwidthLimit: 1000 }, all, bare);
    assert.equal(missing.transport.bufferBytes, undefined);
    assert.equal(missing.transport.bandwidthLimit, 1000);
    assert.deepEqual(missing.notes, ['no receive buffer: mbuffer is missing on the target host']);
  });
});

describe('remote pipelines', () => {
  it('runs every stage under POSIX sh and reports each exit status', () => {
    const script = pipelineScript([['sh', '-c', 'echo "a b"; exit 3'], ['tr', 'a', 'x'], ['sh', '-c', 'cat; echo err >&2']]);
    assert.ok(!script.includes('\n'), 'one line');
    let out = '';
    let err = '';
    try {
      out = execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    err = execFileSync('sh', ['-c', `{ ${script}; } 2>&1 >/dev/null`], { encoding: 'utf8' });
    assert.equal(out, 'x b\n');
    assert.match(err, /@@zfsync-exit 1 3\n/);
    assert.match(err, /@@zfsync-exit 2 0\n/);
    assert.match(err, /@@zfsync-exit 3 0\n/);
  });

  it('maps sh statuses above 128 to signals', () => {
    assert.deepEqual(statusOf(0), { exitCode: 0, signal: null });
    assert.deepEqual(statusOf(1), { exitCode: 1, signal: null });
    assert.deepEqual(statusOf(141), { exitCode: null, signal: 'SIGPIPE' });
    assert.deepEqual(statusOf(143), { exitCode: null, signal: 'SIGTERM' });
  });

  it('filters the markers out of stderr wherever the chunks split, and passes the rest on at once', async () => {
    const text = 'cannot receive: out of space\n\n@@zfsync-exit 1 0\n123 bytes\r456 bytes\n@@zfsync-exit 2 1\nlast words';
    for (let cut = 0; cut <= text.length; cut++) {
      const f = new StatusFilter();
      const src = new PassThrough();
      src.pipe(f);
      let seen = '';
      f.on('data', (c: Buffer) => (seen += c.toString('latin1')));
      src.write(text.slice(0, cut));
      src.end(text.slice(cut));
      await new Promise((r) => f.once('end', r));
      assert.deepEqual([...f.statuses], [[1, 0], [2, 1]], `cut at ${cut}`);
      assert.ok(!seen.includes('@@'), `cut at ${cut}: ${JSON.stringify(seen)}`);
      assert.ok(seen.includes('cannot receive: out of space') && seen.includes('456 bytes') && seen.includes('last words'), `cut at ${cut}`);
    }
  });
});

describe('schedule', () => {
  let n = 0;
  const send = (src: string, dst: string, pool: string, deps: string[] = []): SendAction => ({
    id: `a${++n}`,
    kind: 'send',
    pair: `${src}->${dst}`,
    mode: 'full',
    source: { host: src, dataset: 'tank/x' },
    target: { host: dst, dataset: `${pool}/x${n}` },
    to: { name: 's' },
    intermediates: false,
    snapshotCount: 1,
    receive: { readonly: true, mount: false, force: false },
    reason: '',
    dependsOn: deps,
  });

  async function trace(actions: Action[], parallelism: number, fail: string[] = []) {
    const status = new Map<string, string>();
    const events: string[] = [];
    let running = 0;
    let peak = 0;
    await schedule(actions, {
      parallelism,
      settle: (a) => {
        const bad = a.dependsOn.find((d) => status.has(d) && status.get(d) !== 'done');
        if (!bad) return false;
        status.set(a.id, 'skipped');
        events.push(`skip ${a.id}`);
        return true;
      },
      isSettled: (id) => status.has(id),
      execute: async (a) => {
        running++;
        peak = Math.max(peak, running);
        events.push(`start ${a.id}`);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        status.set(a.id, fail.includes(a.id) ? 'failed' : 'done');
        events.push(`end ${a.id}`);
      },
    });
    return { events, peak, status };
  }

  it('runs different host pairs at once, one host pair in plan order', async () => {
    n = 0;
    const actions = [send('local', 'nas', 'p1'), send('local', 'nas', 'p1'), send('pve', 'local', 'p2'), send('pve', 'local', 'p2')];
    const { events, peak } = await trace(actions, 2);
    assert.equal(peak, 2);
    assert.ok(events.indexOf('end a1') < events.indexOf('start a2'), 'a lane runs in order');
    assert.ok(events.indexOf('start a3') < events.indexOf('end a1'), 'another lane runs meanwhile');
    const serial = await trace(actions.map((a) => ({ ...a })), 1);
    assert.equal(serial.peak, 1);
  });

  it('never runs two writers on one target pool, and waits for dependencies across lanes', async () => {
    n = 0;
    const a1 = send('local', 'nas', 'tank');
    const a2 = send('pve', 'nas', 'tank');
    const a3 = send('pve2', 'nas', 'other', [a1.id]);
    const { events, peak } = await trace([a1, a2, a3], 3);
    assert.ok(events.indexOf('end a1') < events.indexOf('start a2') || events.indexOf('end a2') < events.indexOf('start a1'), 'one writer per pool');
    assert.ok(events.indexOf('end a1') < events.indexOf('start a3'), 'a dependency across lanes holds');
    assert.ok(peak >= 2);
  });

  it('skips what depends on a failure, and the rest goes on', async () => {
    n = 0;
    const a1 = send('local', 'nas', 'p');
    const a2 = send('local', 'nas', 'p', [a1.id]);
    const a3 = send('pve', 'local', 'q');
    const { status } = await trace([a1, a2, a3], 2, [a1.id]);
    assert.equal(status.get('a2'), 'skipped');
    assert.equal(status.get('a3'), 'done');
  });
});
