/**
 * Keeps docs/api.md and docs/cli.md true to the code: every error code, every public method and
 * every Keystore.open option must have its entry. The lists come from the package itself, so a
 * new method, option or code fails here until it is documented.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DeviceKey,
  ErrorCodes,
  Keystore,
  SealedSecrets,
  SessionKey,
  type ErrorCode,
} from '../../src/index';
import { CLI_ONLY_CODES, exitCodeFor } from '../../src/cli/exit-codes';

const ROOT = path.resolve(__dirname, '..', '..');
const API = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
const CLI = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');

/** The lines of a markdown document from the heading `title` to the next heading of its level. */
function section(doc: string, title: string): string[] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === title);
  if (start < 0) throw new Error(`no heading "${title}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex(
    (l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level,
  );
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The cells of each body row of the markdown tables in `lines` (header and rule rows skipped). */
function tableRows(lines: string[]): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('|') || /^\|[\s|:-]+\|$/.test(line)) continue;
    if (lines[i + 1] !== undefined && /^\|[\s|:-]+\|$/.test(lines[i + 1]!)) continue; // header
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** Heading lines of api.md, as the code spans they hold. */
const HEADING_SPANS = API.split('\n')
  .filter((l) => /^#{2,6} /.test(l))
  .flatMap(codeSpans);

/**
 * Whether api.md has a heading naming `prefix.name`: `keystore.createKey(alias, options?)`,
 * `key.asymmetricKeyType`, `Keystore.open(options?)`.
 */
function hasHeading(prefix: string, name: string): boolean {
  return HEADING_SPANS.some(
    (span) => span === `${prefix}.${name}` || span.startsWith(`${prefix}.${name}(`),
  );
}

/** Own method and accessor names of a prototype, without the constructor and private names. */
function publicMembers(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter(
    (n) => n !== 'constructor' && !n.startsWith('_') && !n.startsWith('#'),
  );
}

describe('docs/api.md and docs/cli.md list every error code with its exit code', () => {
  const apiTable = new Map<string, string[]>();
  for (const cells of tableRows(section(API, 'Error codes'))) {
    const [code] = codeSpans(cells[0]!);
    if (code) apiTable.set(code, cells);
  }

  const cliExit = new Map<string, number[]>();
  for (const cells of tableRows(section(CLI, 'Exit codes'))) {
    const exit = Number(cells[0]);
    if (!Number.isInteger(exit)) continue;
    for (const code of codeSpans(cells.slice(1).join('|')).filter((s) => /^E_[A-Z_]+$/.test(s))) {
      cliExit.set(code, [...(cliExit.get(code) ?? []), exit]);
    }
  }

  it.each([...ErrorCodes])('%s', (code: ErrorCode) => {
    const row = apiTable.get(code);
    expect(row, `${code} has no row in the "Error codes" table of docs/api.md`).toBeDefined();
    expect(Number(row!.at(-1)), `${code}: the CLI exit column of docs/api.md`).toBe(
      exitCodeFor(code),
    );
    expect(
      row!.slice(1, -1).every((c) => c.length > 0),
      `${code}: an empty cell`,
    ).toBe(true);
    expect(cliExit.get(code), `${code} in the exit-code table of docs/cli.md`).toEqual([
      exitCodeFor(code),
    ]);
  });

  it('lists no code that does not exist', () => {
    const known = new Set<string>(ErrorCodes);
    expect([...apiTable.keys()].filter((c) => !known.has(c))).toEqual([]);
    // The CLI's own codes (E_USAGE) belong in its table, with their exit code.
    const cliOnly = new Map<string, number>(Object.entries(CLI_ONLY_CODES));
    expect([...cliExit.keys()].filter((c) => !known.has(c) && !cliOnly.has(c))).toEqual([]);
    for (const [code, exit] of cliOnly) expect(cliExit.get(code), code).toEqual([exit]);
  });
});

describe('docs/api.md has a heading for every public method', () => {
  const members: [string, string][] = [
    ...publicMembers(Keystore.prototype).map((n): [string, string] => ['keystore', n]),
    ...Object.getOwnPropertyNames(Keystore)
      .filter((n) => !['length', 'name', 'prototype'].includes(n))
      .map((n): [string, string] => ['Keystore', n]),
    ...publicMembers(DeviceKey.prototype).map((n): [string, string] => ['key', n]),
    ...publicMembers(SealedSecrets.prototype).map((n): [string, string] => ['secrets', n]),
    ...publicMembers(SessionKey.prototype).map((n): [string, string] => ['session', n]),
  ];

  it('finds the members to check', () => {
    // Guards the lists above: an empty list would pass every check below.
    expect(members.map(([p, n]) => `${p}.${n}`)).toEqual(
      expect.arrayContaining([
        'Keystore.open',
        'keystore.close',
        'key.sign',
        'secrets.get',
        'session.sign',
      ]),
    );
  });

  it.each(members)('%s.%s', (prefix, name) => {
    expect(hasHeading(prefix, name), `a heading with \`${prefix}.${name}(…)\``).toBe(true);
  });
});

describe('docs/api.md lists every Keystore.open option', () => {
  it('every option the validation accepts has a row in the options table', async () => {
    const err = await Keystore.open({ bogus: 1 } as never).then(
      () => undefined,
      (e: { code?: string; hint?: string }) => e,
    );
    expect(err?.code).toBe('E_INVALID_ARGUMENT');
    const hint = /^valid options: (.+)$/.exec(err?.hint ?? '');
    expect(hint, `the hint of an unknown option: ${err?.hint}`).not.toBeNull();
    const options = hint![1]!.split(', ');
    expect(options).toContain('dir');

    const documented = new Set(
      tableRows(section(API, '`Keystore.open(options?)`')).map((cells) => codeSpans(cells[0]!)[0]),
    );
    for (const option of options) {
      expect(documented.has(option), `option ${option} in the Keystore.open table`).toBe(true);
    }
  });
});
