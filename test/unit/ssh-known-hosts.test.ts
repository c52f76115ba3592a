// Host-key verification against real keys made by ssh-keygen: fingerprints agree with
// `ssh-keygen -lf`, hashed files made by `ssh-keygen -H` match, and each verdict carries a
// message a person can act on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HostError } from '../../src/errors.js';
import {
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
  sha256Fingerprint,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostsEntry,
} from '../../src/host/ssh/known-hosts.js';

interface Key {
  /** `keytype base64` as in the .pub file. */
  pub: string;
  type: string;
  b64: string;
  blob: Buffer;
  /** What `ssh-keygen -lf` prints. */
  fingerprint: string;
}

let dir: string;
const keys: Record<'ed' | 'ed2' | 'ecdsa' | 'rsa', Key> = {} as never;

function makeKey(name: string, args: string[]): Key {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', `test-${name}`, '-f', file]);
  const [type, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ') as [string, string];
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { pub: `${type} ${b64}`, type, b64, blob: Buffer.from(b64, 'base64'), fingerprint };
}

let fileCount = 0;
function writeKnownHosts(lines: string[]): string {
  const file = path.join(dir, `known_hosts_${++fileCount}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const entriesOf = (lines: string[]) => {
  const file = writeKnownHosts(lines);
  return { file, entries: parseKnownHosts(readFileSync(file, 'utf8'), file) };
};

function refused(v: HostKeyVerdict, kind: string): string {
  assert.equal(v.ok, false, `expected a refusal, got ${JSON.stringify(v)}`);
  if (v.ok) throw new Error('unreachable');
  assert.equal(v.kind, kind, v.message);
  assert.ok(v.message.split('\n').length <= 2, `at most two lines: ${v.message}`);
  assert.doesNotMatch(v.message, /\n\s+at /, 'no stack trace');
  return v.message;
}

function accepted(v: HostKeyVerdict): string {
  assert.equal(v.ok, true, v.ok ? '' : v.message);
  return v.ok ? v.how : '';
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zfsync-known-hosts-'));
  keys.ed = makeKey('ed', ['-t', 'ed25519']);
  keys.ed2 = makeKey('ed2', ['-t', 'ed25519']);
  keys.ecdsa = makeKey('ecdsa', ['-t', 'ecdsa', '-b', '384']);
  keys.rsa = makeKey('rsa', ['-t', 'rsa', '-b', '2048']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprints and key types', () => {
  for (const name of ['ed', 'ecdsa', 'rsa'] as const) {
    it(`${name}: SHA256 fingerprint equals ssh-keygen -lf`, () => {
      const k = keys[name];
      assert.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(sha256Fingerprint(k.blob), k.fingerprint);
      assert.equal(keyTypeOf(k.blob), k.type);
    });
  }

  it('names the key types', () => {
    assert.equal(keyTypeOf(keys.ed.blob), 'ssh-ed25519');
    assert.equal(keyTypeOf(keys.ecdsa.blob), 'ecdsa-sha2-nistp384');
    assert.equal(keyTypeOf(keys.rsa.blob), 'ssh-rsa');
  });

  it('rejects a malformed blob', () => {
    assert.throws(() => keyTypeOf(Buffer.from([0, 0])), /malformed/);
    assert.throws(() => keyTypeOf(Buffer.from([0, 0, 0, 50, 65])), /malformed/);
  });
});

describe('parseKnownHosts', () => {
  it('keeps file, 1-based line, markers, patterns and comments; skips comments, blanks and junk', () => {
    const text = [
      '# a comment',
      '',
      `nas.lan,10.0.0.5,!evil.lan ${keys.ed.pub} root@nas`,
      `   [nas.lan]:2222 ${keys.rsa.pub}`,
      `@revoked * ${keys.ed2.pub}`,
      `@cert-authority *.lan ${keys.ecdsa.pub}`,
      `@bogus * ${keys.ed.pub}`,
      `nas.lan ssh-ed25519 not!base64`,
      `nas.lan ssh-rsa ${keys.ed.b64}`,
      `nas.lan 2048 65537 1234567`,
      `|1|c2FsdA==|aGFzaA== ${keys.ed.pub}`,
      `onlyhost ssh-ed25519`,
      '\t# indented comment\r',
    ].join('\r\n');
    const entries = parseKnownHosts(text, '/x/known_hosts');
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker ?? '-', e.hostField, e.keyType]),
      [
        [3, '-', 'nas.lan,10.0.0.5,!evil.lan', 'ssh-ed25519'],
        [4, '-', '[nas.lan]:2222', 'ssh-rsa'],
        [5, 'revoked', '*', 'ssh-ed25519'],
        [6, 'cert-authority', '*.lan', 'ecdsa-sha2-nistp384'],
      ],
    );
    const first = entries[0]!;
    assert.equal(first.file, '/x/known_hosts');
    assert.equal(first.comment, 'root@nas');
    assert.ok(first.keyBlob.equals(keys.ed.blob));
    assert.deepEqual(first.patterns, [
      { pattern: 'nas.lan', negated: false },
      { pattern: '10.0.0.5', negated: false },
      { pattern: 'evil.lan', negated: true },
    ]);
  });
});

describe('verifyHostKey', () => {
  it('accepts a bare entry on port 22 and says which line', () => {
    const { file, entries } = entriesOf([`other ${keys.rsa.pub}`, `nas.lan ${keys.ed.pub}`]);
    assert.equal(accepted(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries })), `known_hosts ${file}:2`);
  });

  it('matches host names case-insensitively', () => {
    const { entries } = entriesOf([`NAS.Lan ${keys.ed.pub}`]);
    accepted(verifyHostKey({ host: 'nas.LAN', port: 22, keyBlob: keys.ed.blob, entries }));
  });

  it('a [host]:port entry is for that port only, and a bare entry is for port 22 only', () => {
    const { entries } = entriesOf([`[nas.lan]:2222 ${keys.ed.pub}`, `backup.lan ${keys.ed.pub}`]);
    accepted(verifyHostKey({ host: 'nas.lan', port: 2222, keyBlob: keys.ed.blob, entries }));
    refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries }), 'unknown');
    refused(verifyHostKey({ host: 'nas.lan', port: 2223, keyBlob: keys.ed.blob, entries }), 'unknown');
    accepted(verifyHostKey({ host: 'backup.lan', port: 22, keyBlob: keys.ed.blob, entries }));
    refused(verifyHostKey({ host: 'backup.lan', port: 2222, keyBlob: keys.ed.blob, entries }), 'unknown');
  });

  it('matches entries hashed by ssh-keygen -H (port 22 and [host]:port)', () => {
    const file = writeKnownHosts([`nas.lan ${keys.ed.pub}`, `[nas.lan]:2222 ${keys.ecdsa.pub}`, `other.lan ${keys.rsa.pub}`]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    assert.equal(entries.length, 3);
    for (const e of entries) {
      assert.match(e.hostField, /^\|1\|/);
      assert.ok(e.hashed);
    }
    assert.equal(accepted(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries })), `known_hosts ${file}:1`);
    accepted(verifyHostKey({ host: 'NAS.lan', port: 2222, keyBlob: keys.ecdsa.blob, entries }));
    accepted(verifyHostKey({ host: 'other.lan', port: 22, keyBlob: keys.rsa.blob, entries }));
    refused(verifyHostKey({ host: 'nas.lan', port: 2222, keyBlob: keys.ed.blob, entries }), 'unknown');
    refused(verifyHostKey({ host: 'other.lan', port: 2222, keyBlob: keys.rsa.blob, entries }), 'unknown');
    const changed = refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed2.blob, entries }), 'changed');
    assert.match(changed, new RegExp(`${file}:1`));
    assert.deepEqual(knownKeyTypes('nas.lan', 2222, entries), ['ecdsa-sha2-nistp384']);
  });

  it('supports * and ? wildcards and ! negation', () => {
    const { entries } = entriesOf([`*.example.com,!secret.example.com ${keys.ed.pub}`, `web?.lan ${keys.rsa.pub}`]);
    const ed = (host: string) => verifyHostKey({ host, port: 22, keyBlob: keys.ed.blob, entries });
    const rsa = (host: string) => verifyHostKey({ host, port: 22, keyBlob: keys.rsa.blob, entries });
    accepted(ed('a.example.com'));
    accepted(ed('a.b.example.com'));
    refused(ed('example.com'), 'unknown');
    refused(ed('secret.example.com'), 'unknown');
    refused(ed('a.example.com.evil'), 'unknown');
    accepted(rsa('web1.lan'));
    refused(rsa('web.lan'), 'unknown');
    refused(rsa('web12.lan'), 'unknown');
    // `*` matches the whole lookup string, so it covers [host]:port too (as in OpenSSH).
    const star = entriesOf([`* ${keys.ed.pub}`]).entries;
    accepted(verifyHostKey({ host: 'x', port: 2222, keyBlob: keys.ed.blob, entries: star }));
  });

  it('@revoked refuses even when the key is also known or pinned', () => {
    const { file, entries } = entriesOf([`nas.lan ${keys.ed.pub}`, `@revoked * ${keys.ed.pub}`]);
    const msg = refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries }), 'revoked');
    assert.match(msg, /REVOKED/);
    assert.ok(msg.includes(`${file}:2`), msg);
    assert.ok(msg.includes(keys.ed.fingerprint), msg);
    assert.ok(msg.includes('nas.lan:22'), msg);
    assert.match(msg, /nothing was run/);
    refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries, pinned: keys.ed.fingerprint }), 'revoked');
    // A @revoked line for other hosts or other keys changes nothing.
    const other = entriesOf([`nas.lan ${keys.ed.pub}`, `@revoked other.lan ${keys.ed.pub}`, `@revoked * ${keys.ed2.pub}`]).entries;
    accepted(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries: other }));
  });

  it('a @cert-authority key is not taken for a host key', () => {
    const { entries } = entriesOf([`@cert-authority nas.lan ${keys.ed.pub}`]);
    refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries }), 'unknown');
    assert.deepEqual(knownKeyTypes('nas.lan', 22, entries), []);
  });

  it('a different key of a known type is a loud change naming file:line and both fingerprints', () => {
    const { file, entries } = entriesOf([`nas.lan ${keys.rsa.pub}`, '# old key:', `nas.lan ${keys.ed.pub}`]);
    const msg = refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed2.blob, entries }), 'changed');
    assert.match(msg, /HOST KEY CHANGED for nas\.lan:22/);
    assert.ok(msg.includes(`${file}:3`), msg);
    assert.ok(msg.includes(keys.ed.fingerprint), 'old fingerprint');
    assert.ok(msg.includes(keys.ed2.fingerprint), 'new fingerprint');
    assert.match(msg, /nothing was run on the host/);
    assert.ok(msg.includes(`ssh-keygen -R nas.lan -f ${file}`), msg);

    const onPort = entriesOf([`[nas.lan]:2222 ${keys.ed.pub}`]);
    const msg2 = refused(verifyHostKey({ host: 'nas.lan', port: 2222, keyBlob: keys.ed2.blob, entries: onPort.entries }), 'changed');
    assert.ok(msg2.includes('nas.lan:2222'), msg2);
    assert.ok(msg2.includes(`ssh-keygen -R '[nas.lan]:2222' -f ${onPort.file}`), msg2);
  });

  it('accepts when any of several same-type lines holds the key', () => {
    const { file, entries } = entriesOf([`nas.lan ${keys.ed.pub}`, `nas.lan ${keys.ed2.pub}`]);
    assert.equal(accepted(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed2.blob, entries })), `known_hosts ${file}:2`);
  });

  for (const port of [22, 2222]) {
    it(`an unknown key (port ${port}) gives the line to add, which then verifies`, async () => {
      const { entries } = entriesOf([`other.lan ${keys.ed.pub}`]);
      const msg = refused(verifyHostKey({ host: 'nas.lan', port, keyBlob: keys.ecdsa.blob, entries }), 'unknown');
      assert.ok(msg.includes(`nas.lan:${port}`), msg);
      assert.ok(msg.includes('ecdsa-sha2-nistp384'), msg);
      assert.ok(msg.includes(keys.ecdsa.fingerprint), msg);
      assert.ok(msg.includes(`host_key: ${keys.ecdsa.fingerprint}`), msg);
      const expected = port === 22 ? `nas.lan ${keys.ecdsa.pub}` : `[nas.lan]:${port} ${keys.ecdsa.pub}`;
      const toAdd = msg.split('\n').at(-1)!;
      assert.equal(toAdd, expected);

      const file = writeKnownHosts([toAdd]);
      // OpenSSH agrees the line is for this host.
      const lookup = port === 22 ? 'nas.lan' : `[nas.lan]:${port}`;
      assert.match(execFileSync('ssh-keygen', ['-F', lookup, '-f', file], { encoding: 'utf8' }), /ecdsa-sha2-nistp384/);
      const added = await readKnownHosts([file]);
      assert.equal(accepted(verifyHostKey({ host: 'nas.lan', port, keyBlob: keys.ecdsa.blob, entries: added })), `known_hosts ${file}:1`);
    });
  }

  it('a key of a type known_hosts lacks for the host is unknown, and says which types it has', () => {
    const { entries } = entriesOf([`nas.lan ${keys.rsa.pub}`]);
    const msg = refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries }), 'unknown');
    assert.match(msg, /only ssh-rsa keys/);
  });

  it('brackets IPv6 literals when naming the host', () => {
    const msg = refused(verifyHostKey({ host: 'fe80::1', port: 2222, keyBlob: keys.ed.blob, entries: [] }), 'unknown');
    assert.ok(msg.includes('[fe80::1]:2222'), msg);
  });

  it('a pinned fingerprint decides alone', () => {
    const { entries } = entriesOf([`nas.lan ${keys.ed.pub}`]);
    // Pin ok even though known_hosts holds another key of the same type.
    const how = accepted(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed2.blob, entries, pinned: keys.ed2.fingerprint }));
    assert.equal(how, `pinned fingerprint ${keys.ed2.fingerprint}`);
    accepted(verifyHostKey({ host: 'new.lan', port: 2222, keyBlob: keys.rsa.blob, entries: [], pinned: `${keys.rsa.fingerprint}=` }));
    // A pin mismatch refuses even though known_hosts knows the key.
    const msg = refused(verifyHostKey({ host: 'nas.lan', port: 22, keyBlob: keys.ed.blob, entries, pinned: keys.ed2.fingerprint }), 'pin-mismatch');
    assert.ok(msg.includes(keys.ed.fingerprint), msg);
    assert.ok(msg.includes(keys.ed2.fingerprint), msg);
    assert.ok(msg.includes('nas.lan:22'), msg);
    assert.match(msg, /nothing was run/);
  });

  it('with a host key alias, looks the alias up instead of host and port', () => {
    const { entries } = entriesOf([`nas-alias ${keys.ed.pub}`]);
    accepted(verifyHostKey({ host: '10.0.0.5', port: 2222, keyBlob: keys.ed.blob, entries, hostAlias: 'nas-alias' }));
    refused(verifyHostKey({ host: '10.0.0.5', port: 2222, keyBlob: keys.ed.blob, entries }), 'unknown');
    const msg = refused(verifyHostKey({ host: '10.0.0.5', port: 2222, keyBlob: keys.rsa.blob, entries: [], hostAlias: 'nas-alias' }), 'unknown');
    assert.equal(msg.split('\n').at(-1), `nas-alias ${keys.rsa.pub}`);
    assert.ok(msg.includes('10.0.0.5:2222'), msg);
    assert.deepEqual(knownKeyTypes('10.0.0.5', 2222, entries, 'nas-alias'), ['ssh-ed25519']);
  });
});

describe('knownKeyTypes', () => {
  it('lists plain key types for the host in OpenSSH preference order, RSA as its three algorithms', () => {
    const entries: KnownHostsEntry[] = entriesOf([
      `nas.lan ${keys.rsa.pub}`,
      `nas.lan ${keys.ecdsa.pub}`,
      `nas.lan,other ${keys.ed.pub}`,
      `nas.lan ${keys.ed2.pub}`,
      `@revoked nas.lan ${keys.ed.pub}`,
      `[nas.lan]:2222 ${keys.ed.pub}`,
    ]).entries;
    assert.deepEqual(knownKeyTypes('nas.lan', 22, entries), ['ssh-ed25519', 'ecdsa-sha2-nistp384', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(knownKeyTypes('nas.lan', 2222, entries), ['ssh-ed25519']);
    assert.deepEqual(knownKeyTypes('nowhere', 22, entries), []);
  });
});

describe('readKnownHosts', () => {
  it('reads files in order, skips missing ones and expands ~', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.ssh'), { recursive: true });
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), `# mine\nnas.lan ${keys.ed.pub}\n`);
    const second = writeKnownHosts([`backup.lan ${keys.rsa.pub}`]);
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const entries = await readKnownHosts(['~/.ssh/known_hosts', path.join(dir, 'missing'), '~/.ssh/known_hosts2', second]);
      assert.deepEqual(
        entries.map((e) => [e.file, e.line, e.hostField]),
        [
          [path.join(home, '.ssh', 'known_hosts'), 2, 'nas.lan'],
          [second, 1, 'backup.lan'],
        ],
      );
    } finally {
      process.env.HOME = saved;
    }
    assert.deepEqual(await readKnownHosts([]), []);
  });

  it('fails with one line when a file exists but cannot be read', async () => {
    await assert.rejects(readKnownHosts([dir]), (e: unknown) => e instanceof HostError && /cannot read known_hosts file .*EISDIR/.test(e.message));
  });
});
