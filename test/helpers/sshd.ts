// A real OpenSSH server on 127.0.0.1 for integration tests: this machine (its zfs-fuse pools)
// plays the remote host. Each startSshd() runs its own `/usr/sbin/sshd -D` with its own config,
// host key, client key and port in a temp dir; the system sshd and /etc/ssh are never touched.
//
// Machine-wide side effects (root only, idempotent, serialized with flock on USER_LOCK_FILE):
//   - users: ['zfsync-test'] creates that user (useradd -m -s /bin/sh) if it is missing, and
//     makes sure its password field is not "locked" ('!'): with UsePAM no, sshd refuses
//     logins to locked accounts even with a valid key. It sets '*' (no password can match).
//   - sudoZfs: true installs /etc/sudoers.d/zfsync-test: one NOPASSWD rule letting zfsync-test
//     run the absolute path of zfs (with any arguments) as root, and nothing else. Both are
//     LEFT IN PLACE after the test (other test files may be using them at the same moment);
//     remove them by hand with `userdel -r zfsync-test; rm /etc/sudoers.d/zfsync-test`.
//
// Every command is run as an argv vector through execFile/spawn: never through a local shell.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'zfsync-test';
export const SUDOERS_FILE = '/etc/sudoers.d/zfsync-test';
/** flock(1) file serializing user creation and the sudoers install across test processes. */
export const USER_LOCK_FILE = '/tmp/zfsync-test-user.lock';
/** sshd privilege-separation directory (Debian's build); sshd refuses to start without it. */
const PRIVSEP_DIR = '/run/sshd';
/** Names (/proc/PID/comm) of per-connection server processes: 'sshd' up to OpenSSH 9.7, then 'sshd-session' (and 'sshd-auth' in 10.x). */
const SESSION_COMMS = new Set(['sshd', 'sshd-session', 'sshd-auth']);
/**
 * Set (to the server's temp dir) in the environment of the listener, every per-connection sshd
 * (inherited) and every session (SetEnv): stop() finds by it whatever left the process tree.
 */
const MARKER_VAR = 'ZFSYNC_TEST_SSHD';

export type SshUser = 'root' | 'zfsync-test';

export interface SshServer {
  port: number;
  host: '127.0.0.1';
  /** The temp dir holding keys, config, pid file and log (removed after the test). */
  dir: string;
  /** Private key path (ed25519, no passphrase) authorized for every user in `users`. */
  clientKey: string;
  /** The client public key line (`ssh-ed25519 AAAA... comment`); the file is `${clientKey}.pub`. */
  clientPublicKey: string;
  /** The host key's raw wire-format public key (the base64-decoded second field of the .pub). */
  hostKeyBlob: Buffer;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** A known_hosts file with the single line `[127.0.0.1]:PORT ssh-ed25519 AAAA...`. */
  knownHostsFile: string;
  /** The first of `users` (default 'root'). */
  user: string;
  users: SshUser[];
  /** The `/etc/sudoers.d/zfsync-test` rule, when started with sudoZfs. */
  sudoersRule?: string;
  /** The listener's pid. */
  pid: number;
  configFile: string;
  logFile: string;
  /** The sshd log so far (LogLevel VERBOSE: "Accepted publickey for USER ..." and so on). */
  log(): Promise<string>;
  /** Pids of the per-connection sshd processes (descendants of the listener named sshd/sshd-session). */
  sessionPids(): Promise<number[]>;
  /**
   * Sends `signal` (default SIGKILL: a link that drops without any SSH goodbye) to every
   * per-connection sshd process; returns how many were signalled. The commands those sessions
   * ran are NOT signalled (as with a real dropped link, they see EOF/EPIPE); stop() kills any
   * that are still running. With SIGKILL, waits (up to 5 s) until the processes are gone.
   */
  killConnections(signal?: NodeJS.Signals | number): Promise<number>;
  /** Stops the listener, every session and every command the sessions started. Idempotent. */
  stop(): Promise<void>;
}

// ---- running commands -----------------------------------------------------------------------

// sshd, useradd, visudo and zfs live in /usr/sbin, which a non-login PATH may lack.
const ENV = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

interface Exec {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Run a command without a shell; never rejects (look at code/error). */
function exec(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: ENV, encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, signal: null, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null; killed?: boolean };
      resolve({
        code: typeof e.code === 'number' ? e.code : null,
        signal: e.signal ?? null,
        stdout,
        stderr,
        error: err,
      });
    });
  });
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a));

/** Run a command; resolve with stdout, reject with the command line and its stderr. */
async function check(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const r = await exec(cmd, args, timeoutMs);
  if (r.code === 0) return r.stdout;
  const why = r.signal ? `killed by ${r.signal}${r.signal === 'SIGTERM' ? ` (timeout ${timeoutMs / 1000}s?)` : ''}` : `exit ${r.code ?? r.error?.message}`;
  throw new Error(`${[cmd, ...args].map(quote).join(' ')} failed (${why}): ${r.stderr.trim() || r.error?.message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exists(p: string, mode = fs.constants.F_OK): Promise<boolean> {
  return fs.access(p, mode).then(() => true, () => false);
}

/** Absolute path of a command found on PATH (+ /usr/sbin:/sbin), or undefined. */
async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (ENV.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = path.join(dir, cmd);
    if (await exists(p, fs.constants.X_OK)) return p;
  }
  return undefined;
}

// ---- availability ---------------------------------------------------------------------------

/** Config keywords that only some OpenSSH versions know, added when this sshd accepts them. */
const OPTIONAL_KEYWORDS = [
  // OpenSSH >= 9.8 penalizes source addresses whose connections fail or die (e.g. after
  // killConnections), refusing 127.0.0.1 for a while: a test server must never do that.
  'PerSourcePenalties no',
];

let probed: Promise<{ problem?: string; optional: string[] }> | undefined;

function probe(): Promise<{ problem?: string; optional: string[] }> {
  probed ??= (async () => {
    if (process.getuid?.() !== 0) return { problem: 'must run as root (the test sshd logs in as root and as zfsync-test)', optional: [] };
    if (!(await exists(SSHD, fs.constants.X_OK))) return { problem: `${SSHD} is missing (apt-get install openssh-server)`, optional: [] };
    for (const tool of ['ssh', 'ssh-keygen', 'ssh-keyscan']) {
      if (!(await which(tool))) return { problem: `${tool} is missing (apt-get install openssh-client)`, optional: [] };
    }
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'zfsync-sshd-probe-'));
    try {
      await ensurePrivsepDir();
      const hostKey = path.join(dir, 'host_key');
      await check('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'probe', '-f', hostKey]);
      const configFile = path.join(dir, 'sshd_config');
      const base = { dir, port: 22, hostKey, users: ['root' as const] };
      const optional: string[] = [];
      for (const line of OPTIONAL_KEYWORDS) {
        await fs.writeFile(configFile, sshdConfig({ ...base, optional: [line] }));
        if ((await exec(SSHD, ['-t', '-f', configFile])).code === 0) optional.push(line);
      }
      await fs.writeFile(configFile, sshdConfig({ ...base, optional }));
      const r = await exec(SSHD, ['-t', '-f', configFile]);
      if (r.code !== 0) return { problem: `${SSHD} -t rejects the test config: ${(r.stderr || r.error?.message || '').trim()}`, optional };
      return { optional };
    } catch (e) {
      return { problem: e instanceof Error ? e.message : String(e), optional: [] };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  })();
  return probed;
}

/**
 * True when /usr/sbin/sshd exists and can run (as root, with ssh, ssh-keygen and ssh-keyscan
 * present). Otherwise: under CI (CI=true/1) throws, so the test fails; elsewhere skips the test.
 */
export async function requireSshd(t: TestContext): Promise<boolean> {
  const { problem } = await probe();
  if (problem === undefined) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`sshd not available (required under CI): ${problem}`);
  t.skip(`sshd not available: ${problem}`);
  return false;
}

async function ensurePrivsepDir(): Promise<void> {
  await fs.mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  const st = await fs.stat(PRIVSEP_DIR);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) await fs.chmod(PRIVSEP_DIR, 0o755);
}

// ---- sshd_config ----------------------------------------------------------------------------

/** A config value, double-quoted when needed (sshd_config splits on whitespace). */
function cfg(v: string): string {
  if (/["\n]/.test(v)) throw new Error(`path not usable in sshd_config: ${JSON.stringify(v)}`);
  return /\s/.test(v) ? `"${v}"` : v;
}

function sshdConfig(o: { dir: string; port: number; hostKey: string; users: readonly SshUser[]; optional: readonly string[] }): string {
  return [
    '# zfsync test server (test/helpers/sshd.ts); not the system sshd.',
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    'AddressFamily inet',
    `HostKey ${cfg(o.hostKey)}`,
    `PidFile ${cfg(path.join(o.dir, 'sshd.pid'))}`,
    // One file per user (%u), all holding the same client key. sshd opens it with the user's
    // uid, so the temp dir is 0711 and the files 0644. StrictModes is off because the temp dir
    // lives under /tmp (mode 1777), which StrictModes rejects as a parent of authorized_keys.
    `AuthorizedKeysFile ${cfg(path.join(o.dir, 'authorized_keys', '%u'))}`,
    'StrictModes no',
    `AllowUsers ${o.users.join(' ')}`,
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    'UseDNS no',
    // Many channels per connection (zfsync multiplexes); many connections starting at once.
    'MaxSessions 64',
    'MaxStartups 100',
    'LoginGraceTime 30',
    'PermitUserEnvironment no',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'Subsystem sftp internal-sftp',
    `SetEnv ${cfg(`${MARKER_VAR}=${o.dir}`)}`,
    'LogLevel VERBOSE',
    ...o.optional,
    '',
  ].join('\n');
}

// ---- processes (/proc) ----------------------------------------------------------------------

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  /** Start time in clock ticks since boot: (pid, start) names one process even if pids are reused. */
  start: string;
}

async function readProc(pid: number): Promise<Proc | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' '); // state ppid pgrp session tty tpgid flags ... starttime is field 22
  return { pid, comm: stat.slice(open + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]), start: rest[19] ?? '' };
}

async function processTable(): Promise<Map<number, Proc>> {
  const pids = (await fs.readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const procs = await Promise.all(pids.map(readProc));
  return new Map(procs.filter((p): p is Proc => p !== undefined).map((p) => [p.pid, p]));
}

/** All descendants of `roots` (not the roots themselves), parents before children. */
function descendants(table: Map<number, Proc>, roots: Iterable<number>): number[] {
  const children = new Map<number, number[]>();
  for (const p of table.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const out: number[] = [];
  const seen = new Set<number>(roots);
  const queue = [...seen];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Still running (a zombie only waits to be reaped: it counts as gone). */
async function alive(p: { pid: number; start: string }): Promise<boolean> {
  const now = await readProc(p.pid);
  return now !== undefined && now.start === p.start && now.state !== 'Z' && now.state !== 'X';
}

async function waitGone(procs: readonly { pid: number; start: string }[], ms: number): Promise<{ pid: number; start: string }[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left: { pid: number; start: string }[] = [];
    for (const p of procs) if (await alive(p)) left.push(p);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose environment holds `name=value`. */
async function withEnv(table: Map<number, Proc>, name: string, value: string): Promise<number[]> {
  const needle = `${name}=${value}`;
  const found: number[] = [];
  await Promise.all([...table.keys()].map(async (pid) => {
    const env = await fs.readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (env.split('\0').includes(needle)) found.push(pid);
  }));
  return found;
}

// ---- machine-wide lock, user, sudoers -------------------------------------------------------

/** Run `fn` holding an exclusive flock(1) on `file` (held by a `flock FILE cat` child). */
async function withFileLock<T>(file: string, fn: () => Promise<T>, waitSec = 120): Promise<T> {
  const holder = await new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn('flock', ['-w', String(waitSec), file, 'cat'], { stdio: ['pipe', 'pipe', 'pipe'], env: ENV });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`could not lock ${file} within ${waitSec}s (flock exit ${code}): ${err.trim()}`)));
    child.stdout.once('data', () => resolve(child)); // `cat` echoed: flock holds the lock
    child.stdin.write('locked\n');
  });
  try {
    return await fn();
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) {
      const exited = new Promise((r) => holder.once('exit', r));
      holder.stdin?.end();
      await exited;
    }
  }
}

/** Create TEST_USER if missing; make sure its account is not locked ('!'), which sshd refuses without PAM. */
async function ensureTestUser(): Promise<void> {
  const entry = await exec('getent', ['passwd', TEST_USER]);
  if (entry.code !== 0) {
    await check('useradd', ['-m', '-s', '/bin/sh', '-p', '*', '-c', 'zfsync integration tests', TEST_USER]);
  }
  const shadow = await check('getent', ['shadow', TEST_USER]);
  if ((shadow.split(':')[1] ?? '').startsWith('!')) await check('usermod', ['-p', '*', TEST_USER]);
}

/** Install (if not already identical) the sudoers file letting TEST_USER run zfs, only zfs, as root. Returns the rule. */
async function ensureSudoZfs(): Promise<string> {
  const zfsPath = await which('zfs'); // as `command -v zfs` finds it (PATH + /usr/sbin:/sbin): usually /usr/sbin/zfs
  if (!zfsPath) throw new Error('sudoZfs: zfs is not installed (command -v zfs found nothing)');
  if (!/^\/[\w./+-]+$/.test(zfsPath)) throw new Error(`sudoZfs: zfs path not usable in sudoers: ${zfsPath}`);
  const rule = `${TEST_USER} ALL=(root) NOPASSWD: ${zfsPath}`;
  const content = `# Installed by the zfsync test harness (test/helpers/sshd.ts); left in place on purpose.\n${rule}\n`;
  const current = await fs.readFile(SUDOERS_FILE, 'utf8').catch(() => undefined);
  if (current === content) return rule;
  // sudo skips files in sudoers.d whose names contain '.', so the temp file is never read by sudo.
  const tmp = path.join(path.dirname(SUDOERS_FILE), `.${path.basename(SUDOERS_FILE)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, content, { mode: 0o440, flag: 'wx' });
    await fs.chmod(tmp, 0o440);
    await check('visudo', ['-c', '-q', '-f', tmp]);
    await fs.rename(tmp, SUDOERS_FILE);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return rule;
}

// ---- keys -----------------------------------------------------------------------------------

async function keygen(file: string, comment: string): Promise<{ line: string; blob: Buffer }> {
  await check('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const line = (await fs.readFile(`${file}.pub`, 'utf8')).trim();
  const [type, b64] = line.split(/\s+/);
  if (type !== 'ssh-ed25519' || !b64) throw new Error(`unexpected public key in ${file}.pub: ${line}`);
  return { line, blob: Buffer.from(b64, 'base64') };
}

/** `SHA256:` + unpadded base64 of the blob's SHA-256, as ssh-keygen -l prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

// ---- start ----------------------------------------------------------------------------------

/** `sh -c WATCHDOG _ PID`: on EOF on stdin, SIGTERM PID, and SIGKILL it if it still runs (not a zombie) 3 s later. */
const WATCHDOG = `read _ || :
kill -TERM "$1" 2>/dev/null || exit 0
i=0
while [ $i -lt 30 ]; do
  s=$(cat "/proc/$1/stat" 2>/dev/null) || exit 0
  case "\${s##*) }" in Z*|X*) exit 0 ;; esac
  sleep 0.1; i=$((i + 1))
done
kill -KILL "$1" 2>/dev/null`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** The SSH banner line at 127.0.0.1:port, or undefined if nothing (or no SSH server) answers. */
function banner(port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.startsWith('SSH-') ? buf.slice(0, nl).trim() : undefined);
    });
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
  });
}

/** Host key blobs of type ed25519 that ssh-keyscan gets from 127.0.0.1:port. */
async function scannedKeys(port: number): Promise<Buffer[]> {
  const r = await exec('ssh-keyscan', ['-T', '5', '-t', 'ed25519', '-p', String(port), '127.0.0.1'], 15_000);
  return r.stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === 'ssh-ed25519' && f[2]).map((f) => Buffer.from(f[2]!, 'base64'));
}

interface Listener {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

/**
 * Starts sshd on a free port. The port is found by binding port 0 and closing it, so another
 * process may take it before sshd binds it: then sshd exits ("Address already in use") or a
 * different server answers there (wrong host key): try again with another port.
 */
async function launch(dir: string, hostKey: string, hostBlob: Buffer, users: readonly SshUser[], configFile: string, logFile: string,
  onSpawn: (l: Listener) => void): Promise<Listener> {
  const { optional } = await probe();
  const problems: string[] = [];
  for (let attempt = 1; attempt <= 8; attempt++) {
    const port = await freePort();
    await fs.writeFile(configFile, sshdConfig({ dir, port, hostKey, users, optional }), { mode: 0o644 });
    const logStart = await fs.stat(logFile).then((s) => s.size, () => 0);
    // sshd builds each session's environment itself (with the marker, from SetEnv); its own
    // environment, inherited by every per-connection sshd, needs only a PATH and the marker.
    const child = spawn(SSHD, ['-D', '-e', '-f', configFile, '-E', logFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', [MARKER_VAR]: dir },
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    let exitInfo: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        exitInfo = sig ? `killed by ${sig}` : `exit ${code}`;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = `spawn failed: ${e.message}`;
        resolve();
      });
    });
    const listener = { child, port, exited };
    onSpawn(listener);
    const logTail = async () => `${(await fs.readFile(logFile, 'utf8').catch(() => '')).slice(logStart)}${stderr}`.trim();

    const deadline = Date.now() + 30_000;
    let ready = false;
    let foreign = false;
    while (Date.now() < deadline && exitInfo === undefined) {
      if ((await banner(port, 1000)) !== undefined) {
        const keys = await scannedKeys(port);
        if (keys.some((k) => k.equals(hostBlob))) {
          ready = true;
          break;
        }
        foreign = keys.length > 0;
      }
      await sleep(50);
    }
    if (ready && exitInfo === undefined) return listener;

    if (exitInfo === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    const log = await logTail();
    problems.push(`port ${port}: ${exitInfo ?? 'not ready within 30s'}${foreign ? ' (another server answers there)' : ''}: ${log.split('\n').slice(-5).join(' | ')}`);
    // Retry only when the port was taken; anything else is a real failure.
    if (!foreign && !/Address already in use|Cannot bind any address/i.test(log)) break;
  }
  throw new Error(`could not start ${SSHD}: ${problems.join('; ')}`);
}

/**
 * Starts a private OpenSSH server on 127.0.0.1 for this test (see the top of this file), and
 * stops it (and everything its sessions started) after the test. `users` (default ['root'])
 * are the only accounts that can log in, all with `clientKey`; `user` is the first of them.
 */
export async function startSshd(t: TestContext, opts: { users?: SshUser[]; sudoZfs?: boolean } = {}): Promise<SshServer> {
  const users: SshUser[] = [...new Set<SshUser>(opts.users ?? ['root'])];
  if (users.length === 0) throw new Error('startSshd: users must not be empty');
  for (const u of users) if (u !== 'root' && u !== TEST_USER) throw new Error(`startSshd: unsupported user ${String(u)}`);
  if (opts.sudoZfs && !users.includes(TEST_USER)) throw new Error(`startSshd: sudoZfs needs users to include '${TEST_USER}'`);

  const dir = await fs.mkdtemp(path.join(tmpdir(), 'zfsync-sshd-'));
  let listener: Listener | undefined;
  let watchdog: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;
  /** Processes seen in the server's tree when connections were killed (their commands, now orphans). */
  const orphans = new Map<number, Proc>();

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) {
        const gone = new Promise((r) => watchdog!.once('exit', r));
        watchdog.kill('SIGKILL');
        await gone;
      }
      if (!listener) return;
      const table = await processTable();
      const roots = new Set<number>();
      const root = listener.child.pid;
      if (root !== undefined && listener.child.exitCode === null && listener.child.signalCode === null) roots.add(root);
      for (const p of await withEnv(table, MARKER_VAR, dir)) roots.add(p);
      for (const o of orphans.values()) if (table.get(o.pid)?.start === o.start) roots.add(o.pid);
      const victims = [...roots, ...descendants(table, roots)].flatMap((pid) => {
        const p = table.get(pid);
        return p && p.state !== 'Z' ? [p] : [];
      });
      for (const p of victims) signal(p.pid, 'SIGTERM');
      let left = await waitGone(victims, 3000);
      for (const p of left) signal(p.pid, 'SIGKILL');
      left = await waitGone(left, 3000);
      await listener.exited;
      if (left.length > 0) throw new Error(`test sshd: processes still running after SIGKILL: ${left.map((p) => p.pid).join(', ')}`);
    })();
    return stopping;
  };
  t.after(async () => {
    try {
      await stop();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  // sshd opens authorized_keys with the user's uid: zfsync-test must be able to reach it.
  await fs.chmod(dir, 0o711);
  let sudoersRule: string | undefined;
  if (users.includes(TEST_USER)) {
    sudoersRule = await withFileLock(USER_LOCK_FILE, async () => {
      await ensureTestUser();
      return opts.sudoZfs ? ensureSudoZfs() : undefined;
    });
  }
  await ensurePrivsepDir();

  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const clientKey = path.join(dir, 'id_ed25519');
  const [host, client] = await Promise.all([keygen(hostKey, 'zfsync-test-host'), keygen(clientKey, 'zfsync-test-client')]);
  const akDir = path.join(dir, 'authorized_keys');
  await fs.mkdir(akDir, { mode: 0o755 });
  await fs.chmod(akDir, 0o755);
  for (const u of users) {
    await fs.writeFile(path.join(akDir, u), `${client.line}\n`, { mode: 0o644 });
    await fs.chmod(path.join(akDir, u), 0o644);
  }

  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  const started = await launch(dir, hostKey, host.blob, users, configFile, logFile, (l) => (listener = l));
  const pid = started.child.pid!;

  // If this process dies without running t.after, the watchdog (whose stdin is our pipe) sees
  // EOF and stops the listener. stop() kills the watchdog first, so it never signals a reused pid.
  watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'zfsync-sshd-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  const knownHostsFile = path.join(dir, 'known_hosts');
  await fs.writeFile(knownHostsFile, `[127.0.0.1]:${started.port} ${host.line.split(/\s+/).slice(0, 2).join(' ')}\n`);

  const sessionPids = async (): Promise<number[]> => {
    const table = await processTable();
    return descendants(table, [pid]).filter((p) => {
      const proc = table.get(p);
      return proc !== undefined && proc.state !== 'Z' && SESSION_COMMS.has(proc.comm);
    });
  };

  const server: SshServer = {
    port: started.port,
    host: '127.0.0.1',
    dir,
    clientKey,
    clientPublicKey: client.line,
    hostKeyBlob: host.blob,
    hostKeyFingerprint: fingerprintOf(host.blob),
    knownHostsFile,
    user: users[0]!,
    users,
    ...(sudoersRule !== undefined ? { sudoersRule } : {}),
    pid,
    configFile,
    logFile,
    log: () => fs.readFile(logFile, 'utf8').catch(() => ''),
    sessionPids,
    killConnections: async (sig: NodeJS.Signals | number = 'SIGKILL'): Promise<number> => {
      const table = await processTable();
      const tree = descendants(table, [pid]).flatMap((p) => {
        const proc = table.get(p);
        return proc && proc.state !== 'Z' ? [proc] : [];
      });
      const sessions = tree.filter((p) => SESSION_COMMS.has(p.comm));
      for (const p of tree) if (!SESSION_COMMS.has(p.comm)) orphans.set(p.pid, p);
      let n = 0;
      for (const p of sessions) if (signal(p.pid, sig)) n++;
      if (sig === 'SIGKILL' || sig === 9) await waitGone(sessions, 5000);
      return n;
    },
    stop,
  };
  return server;
}

// ---- the OpenSSH client ---------------------------------------------------------------------

/** The `ssh` argv (without the remote command) logging in to `server` as `user`, strictly verifying its host key. */
export function sshArgs(server: Pick<SshServer, 'port' | 'clientKey' | 'knownHostsFile' | 'user'>, user = server.user): string[] {
  return [
    '-F', 'none', // no ~/.ssh/config or /etc/ssh/ssh_config
    '-p', String(server.port),
    '-i', server.clientKey,
    '-l', user,
    '-o', `UserKnownHostsFile=${server.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '--',
    '127.0.0.1',
  ];
}

/**
 * Runs `command` (one string, interpreted by the remote user's shell) with the OpenSSH client,
 * independently of the code under test. Resolves when ssh exits; code is null if ssh was
 * killed by a signal (or by the timeout, default 60 s). Stdin is /dev/null.
 */
export function runSsh(
  server: Pick<SshServer, 'port' | 'clientKey' | 'knownHostsFile' | 'user'>,
  command: string,
  opts: { user?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(server, opts.user), command], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
