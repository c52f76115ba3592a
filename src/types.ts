// Shared data types: spec model -> state -> plan. Plain data only, no behaviour.

// ---------------------------------------------------------------- spec model

/** A position in the spec file, 1-based, for error messages. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface Spec {
  version: 1;
  /** Path the spec was loaded from, as given by the user. */
  file: string;
  /** sha256 (hex) of the spec file's bytes. */
  hash: string;
  /** Always contains `local`. */
  hosts: Record<string, HostSpec>;
  snapshots: { prefix: string };
  sources: Record<string, SourceSpec>;
  targets: Record<string, TargetSpec>;
  replicate: PairSpec[];
  /** Rebase groups by name (`rebase.<name>`); empty when the spec has none. */
  rebase: Record<string, RebaseSpec>;
}

export interface HostSpec {
  name: string;
  ssh?: SshSpec;
  /** Run zfs through `sudo -n`. */
  sudo: boolean;
  /** Path of the zfs command on that host. */
  zfs: string;
}

export interface SshSpec {
  /** A host name, address, or an alias from ~/.ssh/config. */
  host: string;
  /** Unset: ~/.ssh/config's Port, else 22. */
  port?: number;
  user?: string;
  identity?: string;
  knownHosts?: string;
  /** `SHA256:...` fingerprint the host key must have (instead of known_hosts). */
  hostKey?: string;
  /** Seconds. */
  connectTimeout?: number;
  /** Ciphers to offer, in order. */
  ciphers?: string[];
}

export interface RetentionSpec {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export interface SourceSpec {
  name: string;
  host: string;
  /** Root datasets; with all descendants unless `recursive` is false. */
  datasets: string[];
  recursive: boolean;
  /** Globs: `*` matches within one path component, `**` across components. */
  exclude: string[];
  /** Seconds; undefined: zfsync takes no snapshots for this source. */
  snapshotEvery?: number;
  property?: string;
  retention?: RetentionSpec;
}

export type DivergencePolicy = 'refuse' | 'rollback';

export interface TargetSpec {
  name: string;
  host: string;
  dataset: string;
  stripPath: number;
  /** What the first replication of a dataset sends: its newest snapshot only, or every snapshot. */
  initial: 'newest' | 'all';
  receive: {
    readonly: boolean;
    mount: boolean;
    properties: Record<string, string>;
    excludeProperties: string[];
  };
  onDivergence: DivergencePolicy;
  retention?: RetentionSpec;
}

/**
 * A rebase group (zfs-vm's rebase, declared): member datasets rebuilt as clones of one shared
 * base snapshot that holds what they have in common (see src/rebase).
 */
export interface RebaseSpec {
  name: string;
  host: string;
  /** The consolidated dataset and the snapshot of it that every member becomes a clone of. */
  base: { dataset: string; snapshot: string };
  /** What the base is built from: `all` members in turn (zfs-vm's way), or one member's name. */
  seed: 'all' | string;
  /** Member datasets or globs (src/spec/glob.ts), resolved against the host's state when planning. */
  datasets: string[];
  /** Swap the rebuilt clone into the member's name (the original moves to `<name><suffix>`). */
  replace: boolean;
  /** What happens to a replaced original: renamed to `<name><suffix>`, or destroyed. */
  keepOriginals: 'suffix' | 'destroy';
  suffix: string;
  /** Build the base again even where it exists (zfs-vm -f). */
  rebuildBase: boolean;
}

export interface PairSpec {
  from: string;
  to: string;
  transport: TransportSpec;
  /**
   * Globs on snapshot names (`*`, `?`) that travel besides zfsync's own (by prefix). Defaults to
   * none for a source that takes snapshots, to `*` (every snapshot) for one that does not.
   */
  snapshots: string[];
  send: SendFlagsSpec;
}

/** `replicate[].send`: which `zfs send` flags a pair uses; `auto` decides per dataset and host pair. */
export interface SendFlagsSpec {
  /** `-w`; auto: for encrypted datasets. */
  raw: 'auto' | boolean;
  /** `-c`; auto: where both ends have it. */
  compressed: 'auto' | boolean;
  /** `-L`; auto: where both ends have it. */
  largeBlocks: 'auto' | boolean;
  /** `-e`; auto: where both ends have it. */
  embedded: 'auto' | boolean;
}

export type Compressor = 'zstd' | 'lz4' | 'gzip';

export interface TransportSpec {
  compress: 'auto' | Compressor | 'none';
  /** Receive-side buffer in bytes; 0 for none. */
  bufferBytes: number;
  /** Bytes per second; undefined for no limit. */
  bandwidthLimit?: number;
}

// ---------------------------------------------------------------- state

/** What a host's zfs can do; probed once per host per run. */
export interface Capabilities {
  /** `openzfs` when `zfs version` answers; `legacy` otherwise (zfs-fuse, old ZoL, ...). */
  implementation: 'openzfs' | 'legacy';
  version?: string;
  /** `zfs list -p` (exact numbers, unix times). */
  listParsable: boolean;
  /** Several `ds@snap` names in one `zfs snapshot` (atomic within a pool). */
  multiSnapshot: boolean;
  /** `zfs receive -u`. */
  receiveNoMount: boolean;
  /** `zfs receive -o prop=value` and `-x prop`. */
  receiveProperties: boolean;
  /** `zfs receive -s` and `zfs send -t`, and the receive_resume_token property. */
  resumable: boolean;
  /** The `written` property (bytes changed since the newest snapshot). */
  written: boolean;
  bookmarks: boolean;
  holds: boolean;
  /** Several snapshots of one dataset in one `zfs destroy ds@a,b,c` (OpenZFS; not zfs-fuse). */
  multiDestroy: boolean;
  /** `zfs send -w`. */
  rawSend: boolean;
  /** `zfs send -c`. */
  compressedSend: boolean;
  /** `zfs send -L` and `-e`. */
  largeBlocks: boolean;
  /** Native encryption (the `encryption`, `encryptionroot`, `keystatus` properties). */
  encryption: boolean;
  /** `zfs send -n -P`: a dry run that prints the stream's size (`size\t<bytes>`). */
  sendEstimate: boolean;
  /** Transport helpers found on the host's PATH (not zfs features, but probed with them). */
  tools: HostTools;
}

export interface HostTools {
  zstd: boolean;
  lz4: boolean;
  gzip: boolean;
  mbuffer: boolean;
  pv: boolean;
  /** GNU `dd status=progress` (coreutils 8.24+), used to count local streams. */
  ddProgress: boolean;
  /** rsync, which rebase groups copy and verify members with. */
  rsync: boolean;
}

export interface Snapshot {
  /** Short name, after the `@`. */
  name: string;
  /** 64-bit unsigned, kept as a decimal string. */
  guid: string;
  createtxg: number;
  /** Unix seconds. */
  creation: number;
  referenced?: number;
  /** Bytes written between the previous snapshot and this one, where known. */
  written?: number;
  /** User holds (`userrefs`), read only where the host has holds; a held snapshot is never destroyed. */
  userrefs?: number;
  /** zfsync's own hold tags on this snapshot, as recorded in its `zfsync:holds` property (see plan/protect.ts). */
  holds?: string[];
}

/** A bookmark (`ds#name`): lets an incremental start from a snapshot that was destroyed since. */
export interface Bookmark {
  name: string;
  guid: string;
  createtxg: number;
}

export interface Dataset {
  name: string;
  type: 'filesystem' | 'volume';
  guid: string;
  createtxg: number;
  creation: number;
  /** `pool/fs@snap` of a clone's origin. */
  origin?: string;
  referenced?: number;
  /** Bytes written since the newest snapshot; undefined where the host cannot tell. */
  written?: number;
  resumeToken?: string;
  /** An empty dataset zfsync created to receive a full stream into (legacy ZFS). */
  placeholder: boolean;
  /** Oldest first (by createtxg). */
  snapshots: Snapshot[];
  /** Bookmarks, read only where the host has them (absent: none, or not read). */
  bookmarks?: Bookmark[];
  /** `readonly`, `canmount` and `mounted` as listed (volumes have no canmount/mounted); drift on replicas is planned as `set`. */
  readonly?: boolean;
  canmount?: 'on' | 'off' | 'noauto';
  mounted?: boolean;
  /** Set only for encrypted datasets (hosts with encryption, `encryption` not `off`). */
  encryption?: EncryptionState;
}

export interface EncryptionState {
  /** `aes-256-gcm`, ... */
  cipher: string;
  /** The dataset whose key wraps this one's (`encryptionroot`). */
  root: string;
  keyStatus: 'available' | 'unavailable' | 'unknown';
  /** `keyformat` and `pbkdf2salt`: what tells a key lineage apart (a `zfs change-key` of a passphrase draws a new salt). */
  keyFormat?: string;
  salt?: string;
}

export interface HostState {
  host: string;
  capabilities: Capabilities;
  /** The roots that were listed (see state/roots.ts); nothing outside them is known. */
  roots: string[];
  /** Roots (and target ancestors) that do not exist. */
  missing: string[];
  datasets: Map<string, Dataset>;
  /** Selection property (`sources.*.property`) -> dataset -> value, only where the dataset sets it itself. */
  properties?: Map<string, Map<string, string>>;
}

export interface State {
  hosts: Record<string, HostState>;
  /** Hosts that could not be connected to or read, with the one-line reason: their pairs become conflicts. */
  unreachable?: Record<string, string>;
}

// ---------------------------------------------------------------- plan

/** A snapshot named in a plan; guid is absent when this plan creates it. */
export interface SnapRef {
  name: string;
  guid?: string;
  createtxg?: number;
  /** The name is a bookmark (`ds#name`), not a snapshot: only ever the base of a `send -i`. */
  bookmark?: boolean;
}

export interface DatasetRef {
  host: string;
  dataset: string;
}

interface ActionBase {
  /** Stable within one plan: `a1`, `a2`, ... in plan order. */
  id: string;
  /** `from -> to` of the replicate entry, or undefined for source-level actions. */
  pair?: string;
  reason: string;
  /** Ids of actions that must have succeeded before this one runs. */
  dependsOn: string[];
}

/** One `zfs snapshot` invocation. */
export interface SnapshotCommand {
  recursive: boolean;
  /** Dataset names (without @); with recursive: the subtree roots. */
  datasets: string[];
}

export interface SnapshotAction extends ActionBase {
  kind: 'snapshot';
  host: string;
  source: string;
  snapshot: string;
  /** Every dataset that gets the snapshot. */
  datasets: string[];
  commands: SnapshotCommand[];
  /** True when one zfs call (per pool) takes every snapshot. */
  atomic: boolean;
}

export interface CreateAction extends ActionBase {
  kind: 'create';
  host: string;
  dataset: string;
  /** Set at creation, e.g. canmount=off, readonly=on. */
  properties: Record<string, string>;
  /** The parent's placeholder marker, cleared first: a placeholder with something below it is one no longer. */
  clearsMarker?: string;
}

export interface ReceiveOptions {
  readonly: boolean;
  mount: boolean;
  /**
   * Full receive into an empty placeholder: `create` makes one first (legacy ZFS has no
   * `recv -u`/`-o`, so the placeholder carries readonly/canmount and is never mounted);
   * `existing` reuses one zfsync made earlier (an interrupted first send, or a parent it created).
   * Both receive with `-F`, which is safe only because the placeholder is empty and zfsync's own.
   */
  placeholder?: 'create' | 'existing';
  /** `zfs recv -F` on an incremental; only ever set when the plan shows why. */
  force: boolean;
  /** `targets.<t>.receive.properties`: `-o` where the host has it, else `zfs set` after the receive. */
  properties?: Record<string, string>;
  /** `targets.<t>.receive.exclude_properties`: `-x` (where the host has it). */
  exclude?: string[];
  /** `zfs recv -s`: an interrupted receive keeps what arrived and leaves a resume token (both ends can resume). */
  resumable?: boolean;
}

/** The `zfs send` flags of one stream, decided by the planner (plan/send-flags.ts) and saved with the plan. */
export interface SendFlags {
  /** `-w`: the encrypted blocks as they are on disk; implies what -L -e -c do, so those are never added. */
  raw: boolean;
  /** `-L` */
  largeBlocks: boolean;
  /** `-e` */
  embedded: boolean;
  /** `-c` */
  compressed: boolean;
}

/** How a stream between two hosts travels (absent between pools of one host). */
export interface SendTransport {
  compress?: Compressor;
  /** mbuffer on the receiving host. */
  bufferBytes?: number;
  /** Bytes per second. */
  bandwidthLimit?: number;
  /** Progress counts the uncompressed stream with dd on the sending host. */
  countOnSender?: boolean;
}

/** How a send's size estimate was obtained. */
export type SizeSource = 'dry-run' | 'properties';

export interface SendAction extends ActionBase {
  kind: 'send';
  /** `clone`: the first send of a clone whose origin the target has: `-i origin@snap`, landing as a clone there. */
  mode: 'full' | 'incremental' | 'clone';
  source: DatasetRef;
  target: DatasetRef;
  /** Incremental base (common snapshot), or for a clone its origin snapshot; absent for full sends. */
  from?: SnapRef;
  /** mode clone: the source-host dataset `from` is a snapshot of (the clone's origin). */
  origin?: string;
  to: SnapRef;
  /** `-I` (all intermediate snapshots) rather than `-i`. */
  intermediates: boolean;
  /** How many snapshots arrive on the target. */
  snapshotCount: number;
  /** Estimated stream size in bytes, where known. */
  bytes?: number;
  /**
   * Where `bytes` comes from: `dry-run` is `zfs send -n -P` on the source host (see
   * plan/estimate.ts); `properties` is the snapshots' `referenced`/`written`. Absent means
   * `properties` (plans made without the estimate step, older plan files).
   */
  bytesFrom?: SizeSource;
  receive: ReceiveOptions;
  /** Absent in plans made before send flags existed: a plain `zfs send`. */
  flags?: SendFlags;
  /** The parent's placeholder marker, cleared before the receive (see CreateAction). */
  clearsMarker?: string;
  transport?: SendTransport;
}

export interface RollbackAction extends ActionBase {
  kind: 'rollback';
  host: string;
  dataset: string;
  to: SnapRef;
  /** Target snapshots newer than `to` that the rollback destroys. */
  destroys: string[];
  /** Bytes written on the target since `to` that the rollback discards, where known. */
  discardsBytes?: number;
}

export interface ConflictAction extends ActionBase {
  kind: 'conflict';
  /** Set for source-level conflicts (a missing root); pair-level ones have `pair`. */
  source?: string;
  /** Set for a rebase group's conflicts (`rebase.<group>`). */
  group?: string;
  host: string;
  dataset: string;
  message: string;
  resolution: string;
}

/** Retention: snapshots of one dataset that its policy no longer keeps (see src/retention). */
export interface DestroyAction extends ActionBase {
  kind: 'destroy';
  /** Set for a source's retention (`sources.<name>`); a target's has `pair`. */
  source?: string;
  side: 'source' | 'target';
  host: string;
  dataset: string;
  /** Short names, oldest first; some may arrive only with this plan's sends. */
  snapshots: string[];
  /** The names of each `zfs destroy` call, in order (one per call where the host takes one). */
  calls: string[][];
  /** The policy that dropped them, e.g. `daily:7, last:10`. */
  policy: string;
}

/** Drift: properties zfsync manages on a replica (receive.readonly, receive.mount) set back (see src/drift). */
export interface SetAction extends ActionBase {
  kind: 'set';
  host: string;
  dataset: string;
  /** Property -> the value zfsync sets. */
  properties: Record<string, string>;
  /** Property -> the value it had when planned. */
  was: Record<string, string>;
  /** The spec key that wants each value, e.g. `targets.bk.receive.readonly is true`. */
  because: string[];
}

/** A replica moved aside, never destroyed: the old lineage of a dataset a rebase group rebuilt. */
export interface RenameAction extends ActionBase {
  kind: 'rename';
  host: string;
  dataset: string;
  to: string;
}

/** One side of a hold move: which snapshot gets the pair's tag, which ones lose it. */
export interface HoldSide {
  side: 'source' | 'target';
  host: string;
  dataset: string;
  /** Snapshot (short name) that gets the hold, and its `zfsync:holds` tags afterwards; absent when already held. */
  hold?: { snapshot: string; tags: string[] };
  /**
   * Snapshots that lose the tag, after every hold of the action is placed, with their tags
   * afterwards; `held: false` where the record names the tag but the hold is gone (record only).
   */
  release: { snapshot: string; tags: string[]; held: boolean }[];
}

/** Protects a pair's base: moves its hold to the newest common snapshot, bookmarks it on the source (see plan/protect.ts). */
export interface HoldAction extends ActionBase {
  kind: 'hold';
  /** `zfsync-<16 hex>`: identifies the dataset pair, not the spec's names (see plan/protect.ts). */
  tag: string;
  /** `host:dataset -> host:dataset`, recorded as `zfsync:hold:<tag>` on the held snapshots. */
  meaning: string;
  sides: HoldSide[];
  /** `zfs bookmark ds@name ds#name` on the source. */
  bookmark?: { host: string; dataset: string; snapshot: string };
}

/** Finishes an interrupted receive with `zfs send -t <token>` alone: the token carries the stream's flags (see src/plan/resume.ts). */
export interface ResumeAction extends ActionBase {
  kind: 'resume';
  source: DatasetRef;
  target: DatasetRef;
  /** The target's receive_resume_token, as read. */
  token: string;
  /** The token's incremental base (a source snapshot, by guid); absent for a full stream. */
  from?: SnapRef;
  /** The snapshot the stream delivers (a source snapshot, by guid). */
  to: SnapRef;
  /** Stream bytes the target already holds (the token's `bytes`). */
  receivedBytes: number;
  /** Estimated bytes left, where known. */
  bytes?: number;
  bytesFrom?: SizeSource;
  /** Send flags the token carries (`embedok`, `compressok`, `largeblockok`, `rawok`, ...). */
  flags: string[];
  receive: ReceiveOptions;
  transport?: SendTransport;
}

/** `zfs receive -A`: discards a partial receive whose token no longer fits (see src/plan/resume.ts). */
export interface AbortAction extends ActionBase {
  kind: 'abort';
  host: string;
  dataset: string;
  /** What the partial receive was of: the token's snapshot (`pool/fs@snap` as the sender named it, else its guid). */
  partial: string;
  receivedBytes: number;
  /** A partial full stream: aborting it destroys the dataset, which has no snapshot yet. */
  full: boolean;
}

/** The actions that move a stream from a source to a target. */
export type StreamAction = SendAction | ResumeAction;

/** Rebase: a group's base built from its seed members, then snapshotted (see src/rebase). */
export interface BaseAction extends ActionBase {
  kind: 'base';
  group: string;
  /** `snapshots.prefix`: names the temporary datasets and snapshots (src/rebase/names.ts). */
  prefix: string;
  host: string;
  dataset: string;
  snapshot: string;
  /** Members copied into the base in turn, without --delete: the base holds their union, a later member's file wins. */
  seeds: string[];
  /** The fresh snapshot of each seed member the copy reads, destroyed after it. */
  seedSnapshot: string;
  /** What happens to a base already there: `destroy` (zfsync's, left half built), `rename` to `<base><suffix>` (rebuild_base). */
  previous?: 'destroy' | 'rename';
  suffix: string;
  /** Leftovers of an interrupted base build (temporary seed clones, seed snapshots as `ds@snap`), destroyed first. */
  discard: string[];
}

/** Where an interrupted rebuild resumes: from the beginning, at the swap, at the rename of the clone, or the last steps. */
export type RebuildStage = 'start' | 'swap' | 'rename' | 'finish' | 'cleanup';

/** Rebase: one member rebuilt as a clone of the group's base snapshot, holding the same data (see src/rebase). */
export interface RebuildAction extends ActionBase {
  kind: 'rebuild';
  group: string;
  /** `snapshots.prefix`: names the temporary datasets and snapshots (src/rebase/names.ts). */
  prefix: string;
  host: string;
  /** The member. */
  dataset: string;
  /** `base@snap`. */
  base: string;
  stage: RebuildStage;
  /** The fresh snapshot of the member the copy reads (stage start). */
  snapshot: string;
  replace: boolean;
  keepOriginals: 'suffix' | 'destroy';
  suffix: string;
  /** Mount the rebuilt member at the end (the original was mounted). */
  mount: boolean;
  /** The original is mounted now: unmounted before the swap (a busy one fails there, before any rename). */
  unmount: boolean;
  /** Leftovers of an interrupted rebuild destroyed first: datasets, then `ds@snap` snapshots. */
  discard: string[];
  /** The temporary source clone's origin (`ds@snap`) when it exists at a resumed stage: destroyed at the end. */
  leftoverSource?: string;
}

export type Action = SnapshotAction | CreateAction | SendAction | RollbackAction | ConflictAction | DestroyAction | SetAction | RenameAction | HoldAction | ResumeAction | AbortAction | BaseAction | RebuildAction;
export type ActionKind = Action['kind'];

export interface PlanSummary {
  sends: number;
  /** Sum of known estimates. */
  sendBytes: number;
  /** How many sends have no estimate. */
  sendsWithoutSize: number;
  snapshots: number;
  creates: number;
  /** Snapshots destroyed (by rollbacks and by retention). */
  destroys: number;
  rollbacks: number;
  conflicts: number;
  /** Drifted replicas whose properties are set back; absent when none. */
  sets?: number;
  /** Replicas moved aside; absent when none. */
  renames?: number;
  /** Hold moves (plan/protect.ts); absent when none. */
  holds?: number;
  /** Partial receives discarded (`recv -A`); absent when none. */
  aborts?: number;
  /** Rebase: bases built and members rebuilt; absent when none. */
  bases?: number;
  rebuilds?: number;
}

export interface Plan {
  actions: Action[];
  summary: PlanSummary;
  /** Informational lines that are not actions (e.g. a source dataset that vanished). */
  notes: string[];
}

/** A plan saved with `--out`, or printed with `--json`. */
export interface PlanDocument {
  format: 'zfsync-plan';
  version: 1;
  zfsync: string;
  createdAt: string;
  spec: { file: string; hash: string };
  /** host -> dataset -> fingerprint of every dataset the plan looked at (absent ones too). */
  fingerprints: Record<string, Record<string, string>>;
  plan: Plan;
}
