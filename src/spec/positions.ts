// Positions of spec keys and values in the YAML source, for error messages.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { SourcePos } from '../types.js';

/** A path into the spec: mapping keys and list indexes. */
export type PathSegment = string | number;
export type SpecPath = readonly PathSegment[];

/** `targets.offsite.dataset`, `replicate[1].from`. */
export function formatPath(path: SpecPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

interface YamlNode {
  range?: [number, number, number] | null;
}

/** One step down a path: the key naming it (absent for list items) and the value found there. */
interface Step {
  key?: YamlNode;
  value?: YamlNode;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function isEmptyValue(node: YamlNode | undefined): boolean {
  return !node?.range || node.range[0] === node.range[1];
}

export class SpecLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  at(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Where the value at `path` is; an absent or empty value points at its key. */
  value(path: SpecPath): SourcePos {
    const steps = this.walk(path);
    const last = steps[steps.length - 1];
    if (steps.length === path.length + 1 && last && !isEmptyValue(last.value)) return this.nodePos(last.value);
    return this.nodePos(last?.key ?? last?.value);
  }

  /** Where the key naming `path` is (for a list item: the item itself). */
  key(path: SpecPath): SourcePos {
    const steps = this.walk(path);
    const last = steps[steps.length - 1];
    return this.nodePos(last?.key ?? last?.value);
  }

  /** The path of the deepest key or value starting at `offset`. */
  pathAt(offset: number): PathSegment[] {
    const found: PathSegment[] = [];
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isAlias(node)) node = node.resolve(this.doc);
      const children: [PathSegment, YamlNode | undefined, unknown][] = isMap(node)
        ? node.items.map((pair) => [keyText(pair.key), pair.key as YamlNode, pair.value])
        : isSeq(node)
          ? node.items.map((item, i) => [i, undefined, item])
          : [];
      const hit = children.find(([, key, value]) => contains(key, offset) || contains(value as YamlNode, offset));
      if (!hit) return found;
      found.push(hit[0]);
      if (contains(hit[1], offset)) return found;
      node = hit[2];
    }
  }

  private nodePos(node: YamlNode | undefined): SourcePos {
    return this.at(node?.range?.[0] ?? 0);
  }

  /** Steps from the document down `path`, as far as it exists: [document, ...segments]. */
  private walk(path: SpecPath): Step[] {
    const root = this.doc.contents as YamlNode | null;
    const steps: Step[] = [{ value: root ?? undefined }];
    let node: unknown = root;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let step: Step | undefined;
      if (isMap(node)) {
        const pair = node.items.findLast((p) => keyText(p.key) === String(seg));
        if (pair) step = { key: pair.key as YamlNode, value: (pair.value ?? undefined) as YamlNode | undefined };
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item !== undefined) step = { value: item as YamlNode };
      }
      if (!step) break;
      steps.push(step);
      node = step.value;
    }
    return steps;
  }
}

function contains(node: YamlNode | undefined, offset: number): boolean {
  return !!node?.range && node.range[0] <= offset && offset < Math.max(node.range[2], node.range[0] + 1);
}
