// send | receive plumbing with real processes (no ZFS): both the direct hand-off and the
// JavaScript relay surface the failing side's own message and never hang.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPipe, type PipeResult } from '../../src/apply/pipe.js';
import { LocalRunner } from '../../src/host/local.js';
import type { Argv, CommandRunner, SpawnOptions } from '../../src/host/runner.js';

/** A local runner that cannot hand descriptors over, as an SSH runner will be. */
class RelayRunner extends LocalRunner {
  override readonly directStdin = false;
  override spawn(argv: Argv, _options?: SpawnOptions) {
    return super.spawn(argv);
  }
}

const sh = (script: string) => ['sh', '-c', script];

/** send | receive with one stage on each side, named as zfsync names them. */
function pipe(runner: CommandRunner, send: string[], recv: string[], onBytes: (n: number) => void): Promise<PipeResult> {
  return runPipe({ runner, stages: [{ argv: send, what: 'zfs send' }] }, { runner, stages: [{ argv: recv, what: 'zfs receive' }] }, { onBytes });
}
const MiB = 1 << 20;

for (const [label, runner] of [['direct', new LocalRunner()], ['relay', new RelayRunner()]] as [string, CommandRunner][]) {
  describe(`runPipe (${label})`, () => {
    it('moves every byte and reports progress', async () => {
      const seen: number[] = [];
      const r = await pipe(runner, sh('head -c 67108864 /dev/zero; sleep 0.5'), sh('wc -c >&2'), (n) => seen.push(n));
      assert.equal(r.error, undefined);
      assert.equal(r.results[r.results.length - 1]!.stderrTail.trim(), String(64 * MiB));
      assert.ok(seen.length > 0, 'progress was reported');
      assert.equal(r.bytes, 64 * MiB, 'the final count is exact');
    });

    it("a failing receiver fails the step with its own message; the sender's broken pipe is not blamed", async () => {
      const r = await pipe(runner, sh('yes'), sh('head -c 1000 >/dev/null; echo "cannot receive: boom" >&2; exit 3'), () => {});
      assert.match(r.error ?? '', /^zfs receive on local failed \(exit 3\): cannot receive: boom$/);
    });

    it('a failing sender is reported first, with its message', async () => {
      const r = await pipe(runner, sh('echo "cannot open snapshot: no such" >&2; exit 1'), sh('cat >/dev/null; echo "incomplete stream" >&2; exit 1'), () => {});
      const lines = (r.error ?? '').split('\n');
      assert.equal(lines[0], 'zfs send on local failed (exit 1): cannot open snapshot: no such');
      assert.equal(lines[1], 'zfs receive on local failed (exit 1): incomplete stream');
    });

    it('a missing command is an error, not a hang', async () => {
      const r = await pipe(runner, ['/nonexistent/zfs', 'send', 'x@y'], sh('cat >/dev/null'), () => {});
      assert.match(r.error ?? '', /zfs send on local failed \(exit 127\): \/nonexistent\/zfs: spawn \/nonexistent\/zfs ENOENT/);
    });
  });
}
