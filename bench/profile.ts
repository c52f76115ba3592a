// CPU profile summaries for the benchmarks: self time per function, with positions mapped back
// to the TypeScript sources.
//
// Under tsx every module is transpiled by esbuild into one line, so a profile's positions are
// columns of that line. To name them precisely, the file is transpiled again with the same
// settings (esbuild, a dependency of tsx, when it can be loaded) and the column is mapped
// through the source map to the original line. Without esbuild, the raw column is shown.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface HotSpot {
  selfMs: number;
  /** Of the non-idle samples. */
  percent: number;
  fn: string;
  /** `file:line` in the sources (or `file:1:column` of tsx's output when unmapped); '' for native code. */
  where: string;
  /** The source line, for anonymous functions. */
  source?: string;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

// ---------------------------------------------------------------- source positions

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Generated (line, column) -> original line (0-based), from a source map's `mappings`. */
function decodeMappings(mappings: string): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  const state = [0, 0, 0, 0, 0]; // genCol, src, srcLine, srcCol, name
  mappings.split(';').forEach((line, genLine) => {
    state[0] = 0;
    const segs: [number, number][] = [];
    for (const seg of line.split(',')) {
      if (!seg) continue;
      let field = 0;
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
          continue;
        }
        const delta = value & 1 ? -(value >>> 1) : value >>> 1;
        state[field] = (state[field] ?? 0) + delta;
        field++;
        value = 0;
        shift = 0;
      }
      if (field >= 4) segs.push([state[0]!, state[2]!]);
    }
    out.set(genLine, segs);
  });
  return out;
}

type Resolver = (file: string, line: number, column: number) => { line: number; text: string } | undefined;

interface EsbuildLike {
  transformSync(code: string, options: Record<string, unknown>): { code: string; map: string };
}

async function makeResolver(): Promise<Resolver | undefined> {
  let esbuild: EsbuildLike;
  try {
    const name = 'esbuild'; // not a dependency of this project: tsx's, loaded only if present
    esbuild = (await import(name)) as EsbuildLike;
  } catch {
    return undefined;
  }
  const cache = new Map<string, { maps: Map<number, [number, number][]>; lines: string[] } | null>();
  return (file, line, column) => {
    if (!file.endsWith('.ts')) return undefined;
    let entry = cache.get(file);
    if (entry === undefined) {
      try {
        const src = readFileSync(path.join(ROOT, file), 'utf8');
        const r = esbuild.transformSync(src, { loader: 'ts', format: 'esm', minifyWhitespace: true, keepNames: true, target: 'node20', sourcemap: 'external', sourcefile: file });
        entry = { maps: decodeMappings((JSON.parse(r.map) as { mappings: string }).mappings), lines: src.split('\n') };
      } catch {
        entry = null;
      }
      cache.set(file, entry);
    }
    const segs = entry?.maps.get(line);
    if (!entry || !segs || segs.length === 0) return undefined;
    let best: [number, number] | undefined;
    for (const s of segs) {
      if (s[0] <= column) best = s;
      else break;
    }
    if (!best) return undefined;
    return { line: best[1], text: (entry.lines[best[1]] ?? '').trim() };
  };
}

// ---------------------------------------------------------------- summary

/**
 * Self time per function within `window` (profile clock, microseconds), largest first. Idle
 * time is counted apart; everything else (GC, native code, "(program)") is listed.
 */
export async function hotSpots(profile: CpuProfile, window: [number, number], top = 15): Promise<{ totalMs: number; idleMs: number; hotSpots: HotSpot[] }> {
  const resolve = await makeResolver();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const position = (n: ProfileNode): { where: string; source?: string } => {
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    const rel = url.startsWith('file://') ? path.relative(ROOT, fileURLToPath(url)) : url;
    if (!rel) return { where: '' };
    const mapped = resolve?.(rel, lineNumber, columnNumber);
    if (mapped) return functionName ? { where: `${rel}:${mapped.line + 1}` } : { where: `${rel}:${mapped.line + 1}`, source: mapped.text };
    return { where: rel.startsWith('node:') ? `${rel}:${lineNumber + 1}` : `${rel}:${lineNumber + 1}:${columnNumber + 1}` };
  };
  const selfUs = new Map<string, { us: number; fn: string; where: string; source?: string }>();
  let t = profile.startTime;
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1] ?? 0;
    if (t < window[0] || t > window[1]) return;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') {
      idle += next;
      return;
    }
    const fn = functionName || '(anonymous)';
    let { where, source } = position(node);
    // Native code (builtins such as Map.prototype.set): name the JS function that called it.
    const parent = parentOf.get(node.id);
    if (!url && !functionName.startsWith('(') && parent && parent.callFrame.url) {
      const p = position(parent);
      where = `called from \`${parent.callFrame.functionName || '(anonymous)'}\` ${p.where}`;
      source = p.source;
    }
    const key = `${fn}|${where}`;
    const e = selfUs.get(key) ?? { us: 0, fn, where, ...(source !== undefined ? { source } : {}) };
    e.us += next;
    total += next;
    selfUs.set(key, e);
  });
  const spots = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e): HotSpot => {
      const h: HotSpot = { selfMs: e.us / 1000, percent: total > 0 ? (100 * e.us) / total : 0, fn: e.fn, where: e.where };
      if (e.source !== undefined) h.source = e.source;
      return h;
    });
  return { totalMs: total / 1000, idleMs: idle / 1000, hotSpots: spots };
}

/** Markdown rows: self time, share, function, where. */
export function hotSpotRows(spots: readonly HotSpot[], fmtMs: (ms: number) => string): string[] {
  const code = (s: string) => '`' + s.replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
  return [
    '| self time | share | function | where |',
    '|---|---|---|---|',
    ...spots.map((h) => {
      const fn = h.source ? `${code(h.fn)}: ${code(h.source.length > 90 ? h.source.slice(0, 87) + '...' : h.source)}` : code(h.fn);
      return `| ${fmtMs(h.selfMs)} | ${h.percent.toFixed(1)} % | ${fn} | ${h.where || '(native / V8)'} |`;
    }),
  ];
}
