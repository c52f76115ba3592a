// ~/.ssh/config resolution: Host blocks and `Host *` defaults (first value wins, IdentityFile
// accumulates) come from the ssh-config package; `~` and %-tokens are expanded as ssh does.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSshConfig, resolveSshConfig, SshConfigError } from '../../src/host/ssh/ssh-config.js';

const opts = { home: '/home/me', localUser: 'me' };

const CONFIG = `
# personal hosts
Host nas
  HostName nas.example.com
  User backup
  Port 2222
  IdentityFile ~/.ssh/id_nas
  ProxyJump jump@bastion.example.com:22

Host nas nas2
  HostName ignored.example.com
  User ignored
  IdentityFile ~/.ssh/id_second

Host *.lan
  UserKnownHostsFile ~/.ssh/known_hosts.lan "~/.ssh/known hosts 2"

Host * !nopattern
  User defaultuser
  Port 22
  IdentityFile ~/.ssh/id_ed25519
`;

describe('resolveSshConfig', () => {
  it('resolves an alias with HostName, User, Port, IdentityFile and ProxyJump', () => {
    const r = resolveSshConfig('nas', CONFIG, opts);
    assert.deepEqual(r, {
      hostName: 'nas.example.com',
      port: 2222,
      user: 'backup',
      // every matching block adds its IdentityFile, in order
      identityFiles: ['/home/me/.ssh/id_nas', '/home/me/.ssh/id_second', '/home/me/.ssh/id_ed25519'],
      proxyJump: 'jump@bastion.example.com:22',
    });
  });

  it('first obtained value wins', () => {
    const r = resolveSshConfig('nas2', CONFIG, opts);
    assert.equal(r.hostName, 'ignored.example.com');
    assert.equal(r.user, 'ignored');
    assert.equal(r.port, 22, 'from Host *');
    // A `Host *` block placed first overrides the specific one, as in ssh.
    const starFirst = resolveSshConfig('nas', `Host *\n  User early\n  Port 2200\nHost nas\n  User late\n  Port 2222\n`, opts);
    assert.equal(starFirst.user, 'early');
    assert.equal(starFirst.port, 2200);
  });

  it('applies Host * defaults and pattern blocks to other names', () => {
    const r = resolveSshConfig('web.lan', CONFIG, opts);
    assert.deepEqual(r, {
      hostName: 'web.lan',
      port: 22,
      user: 'defaultuser',
      identityFiles: ['/home/me/.ssh/id_ed25519'],
      userKnownHostsFiles: ['/home/me/.ssh/known_hosts.lan', '/home/me/.ssh/known hosts 2'],
    });
    // A negated pattern excludes the block.
    assert.deepEqual(resolveSshConfig('nopattern', CONFIG, opts), { hostName: 'nopattern', identityFiles: [] });
  });

  it('leaves an alias the config does not mention as it is', () => {
    assert.deepEqual(resolveSshConfig('plain.example.com', '', opts), { hostName: 'plain.example.com', identityFiles: [] });
    assert.deepEqual(resolveSshConfig('plain', 'Host other\n  User x\n', opts), { hostName: 'plain', identityFiles: [] });
  });

  it('matches directive names case-insensitively and accepts key=value', () => {
    const r = resolveSshConfig('box', 'host box\n  hostname=10.0.0.9\n  USER root\n  port = 2022\n  identityfile ~/k\n', opts);
    assert.deepEqual(r, { hostName: '10.0.0.9', user: 'root', port: 2022, identityFiles: ['/home/me/k'] });
  });

  it('expands ~ and %h %p %r %u %n %d %% in IdentityFile and UserKnownHostsFile', () => {
    const text = [
      'Host nas',
      '  HostName %h.example.com',
      '  Port 2222',
      '  User remote',
      '  IdentityFile ~/.ssh/id_%h_%p_%r_%u',
      '  IdentityFile %d/keys/%n-100%%',
      '  IdentityFile ~',
      '  UserKnownHostsFile ~/.ssh/kh_%h /etc/kh_%n',
    ].join('\n');
    const r = resolveSshConfig('nas', text, opts);
    assert.equal(r.hostName, 'nas.example.com');
    assert.deepEqual(r.identityFiles, ['/home/me/.ssh/id_nas.example.com_2222_remote_me', '/home/me/keys/nas-100%', '/home/me']);
    assert.deepEqual(r.userKnownHostsFiles, ['/home/me/.ssh/kh_nas.example.com', '/etc/kh_nas']);
  });

  it('expands %r to the local user and %p to 22 when the config sets neither, and %l %L %i', () => {
    const r = resolveSshConfig('h', 'Host h\n  IdentityFile /k/%r@%h:%p\n  IdentityFile /k/%l/%L/%i\n', opts);
    const uid = process.getuid!();
    assert.deepEqual(r.identityFiles, ['/k/me@h:22', `/k/${hostname()}/${hostname().split('.')[0]}/${uid}`]);
  });

  it('treats UserKnownHostsFile none and ProxyJump none as "none"', () => {
    const r = resolveSshConfig('h', 'Host h\n  UserKnownHostsFile none\n  ProxyJump none\n', opts);
    assert.deepEqual(r, { hostName: 'h', identityFiles: [], userKnownHostsFiles: [] });
  });

  it('returns HostKeyAlias', () => {
    assert.equal(resolveSshConfig('h', 'Host h\n  HostKeyAlias nas-key\n', opts).hostKeyAlias, 'nas-key');
  });

  it('refuses a bad Port and unsupported tokens, naming the file and host', () => {
    const file = { ...opts, file: '/home/me/.ssh/config' };
    assert.throws(
      () => resolveSshConfig('h', 'Host h\n  Port ssh\n', file),
      (e: unknown) => e instanceof SshConfigError && e.message === "/home/me/.ssh/config: Host h: Port 'ssh' is not a port number (1-65535)",
    );
    assert.throws(() => resolveSshConfig('h', 'Host h\n  Port 70000\n', file), /Port '70000'/);
    assert.throws(() => resolveSshConfig('h', 'Host h\n  IdentityFile ~/.ssh/%C\n', file), /IdentityFile: unsupported token %C/);
    assert.throws(() => resolveSshConfig('h', 'Host h\n  IdentityFile /k/50%\n', file), /lone %/);
  });

  it('does not run Match exec commands', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zfsync-ssh-config-'));
    try {
      const marker = path.join(dir, 'ran');
      const r = resolveSshConfig('h', `Match exec "touch ${marker}"\n  User fromexec\nHost h\n  User fromhost\n`, opts);
      assert.equal(existsSync(marker), false);
      assert.equal(r.user, 'fromhost');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadSshConfig', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'zfsync-ssh-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves the alias to itself when the file does not exist', async () => {
    assert.deepEqual(await loadSshConfig('nas', path.join(dir, 'missing')), { hostName: 'nas', identityFiles: [] });
  });

  it('reads a given file', async () => {
    const file = path.join(dir, 'config');
    writeFileSync(file, 'Host nas\n  HostName 10.1.2.3\n  Port 2022\n');
    assert.deepEqual(await loadSshConfig('nas', file), { hostName: '10.1.2.3', port: 2022, identityFiles: [] });
  });

  it('defaults to ~/.ssh/config and expands ~ to the home directory', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.ssh'), { recursive: true });
    writeFileSync(path.join(home, '.ssh', 'config'), 'Host nas\n  User u\n  IdentityFile ~/.ssh/id_%h\n');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      assert.deepEqual(await loadSshConfig('nas'), { hostName: 'nas', user: 'u', identityFiles: [path.join(home, '.ssh', 'id_nas')] });
      assert.deepEqual(await loadSshConfig('nas', '~/.ssh/config'), await loadSshConfig('nas'));
    } finally {
      process.env.HOME = saved;
    }
  });

  it('fails with one line when the file exists but cannot be read', async () => {
    await assert.rejects(loadSshConfig('nas', dir), (e: unknown) => e instanceof SshConfigError && /cannot read ssh config .*EISDIR/.test(e.message));
  });
});
