/**
 * The import graph of a TypeScript tree and the house rules checked on it (test/layering.test.ts).
 * Reads `import … from './x'` and `export … from './x'` (type-only ones too: a type import is
 * still an arrow a reader follows) and `import('./x')`; bare specifiers are outside the house.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import * as path from 'node:path';

export interface ImportGraph {
  /** Files relative to the root, '/'-separated, without '.ts'. */
  files: string[];
  arrows: Map<string, Set<string>>;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const SPEC =
  /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export function importGraph(root: string): ImportGraph {
  const files = walk(root).map((f) =>
    path.relative(root, f).split(path.sep).join('/').slice(0, -3),
  );
  const arrows = new Map<string, Set<string>>();
  for (const file of files) {
    const source = readFileSync(path.join(root, file + '.ts'), 'utf8');
    const to = new Set<string>();
    for (const m of source.matchAll(SPEC)) {
      const spec = (m[1] ?? m[2])!.replace(/\.js$/, '');
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (existsSync(path.join(root, target + '.ts'))) to.add(target);
      else if (existsSync(path.join(root, target, 'index.ts'))) to.add(target + '/index');
      else throw new Error(`${file}.ts imports ${spec}, which is not in the tree`);
    }
    arrows.set(file, to);
  }
  return { files, arrows };
}

/** Strongly connected components with more than one file (or a file importing itself). */
export function importCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  // Iterative Tarjan: a deep graph must not overflow the test's stack.
  for (const start of graph.files) {
    if (index.has(start)) continue;
    const work: [string, string[]][] = [];
    const enter = (v: string) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      work.push([v, [...(graph.arrows.get(v) ?? [])]]);
    };
    enter(start);
    while (work.length) {
      const [v, pending] = work[work.length - 1]!;
      const w = pending.shift();
      if (w !== undefined) {
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let x: string;
        do {
          x = stack.pop()!;
          onStack.delete(x);
          scc.push(x);
        } while (x !== v);
        if (scc.length > 1 || graph.arrows.get(v)?.has(v)) cycles.push(scc.sort());
      }
    }
  }
  return cycles;
}

/**
 * Floors, lowest first. A file's floor is the first rule whose prefix matches its path. A file
 * may import its own floor's folder and any lower floor; `forbidden` pairs are refused even
 * downwards (the store and the tiers are neighbours that must not know each other).
 */
export interface Floor {
  name: string;
  prefixes: string[];
}

export function floorOf(floors: Floor[], file: string): Floor | undefined {
  return floors.find((f) => f.prefixes.some((p) => file === p || file.startsWith(p + '/')));
}

export function layeringViolations(
  graph: ImportGraph,
  floors: Floor[],
  forbidden: [from: string, to: string][] = [],
): string[] {
  const rank = new Map(floors.map((f, i) => [f.name, i]));
  const out: string[] = [];
  for (const [file, targets] of graph.arrows) {
    const from = floorOf(floors, file);
    if (!from) {
      out.push(`${file}: on no floor`);
      continue;
    }
    for (const target of targets) {
      const to = floorOf(floors, target);
      if (!to) continue; // reported as its own file
      if (forbidden.some(([a, b]) => a === from.name && b === to.name)) {
        out.push(`${file} → ${target}: ${from.name} may not import ${to.name}`);
      } else if (rank.get(to.name)! > rank.get(from.name)!) {
        out.push(`${file} → ${target}: ${from.name} imports upward into ${to.name}`);
      }
    }
  }
  return out;
}
