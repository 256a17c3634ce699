import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Code cites the original system's failures as `docs/lessons.md#lesson-N-slug`; these checks keep
// every such anchor resolvable and every lesson backed by a test that exists.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LESSONS = readFileSync(join(ROOT, 'docs', 'lessons.md'), 'utf8');

/**
 * GitHub's heading anchor: lower case, every character that is not a letter, digit, space,
 * hyphen or underscore dropped, spaces turned into hyphens ("Lesson 4: a DLQ…" → "lesson-4-a-dlq…").
 */
function githubAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

interface Lesson {
  n: number;
  anchor: string;
  body: string;
}

function lessons(): Lesson[] {
  const parts = LESSONS.split(/^(?=## )/m).filter((p) => p.startsWith('## Lesson '));
  return parts.map((part) => {
    const heading = part.split('\n', 1)[0]!.slice(3).trim();
    return { n: Number(/^Lesson (\d+):/.exec(heading)?.[1]), anchor: githubAnchor(heading), body: part };
  });
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tmp', 'bundles', '.pulumi']);
const SOURCE = /\.(ts|tsx|js|mjs|cjs|swift|sh|py)$/;

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : filesUnder(path, keep);
    return keep(e.name) ? [path] : [];
  });
}

// This file is left out: it spells bare citations on purpose, to describe what it refuses.
const sourceFiles = filesUnder(join(ROOT, 'packages'), (name) => SOURCE.test(name)).filter(
  (f) => f !== fileURLToPath(import.meta.url),
);
const markdownFiles = [
  join(ROOT, 'README.md'),
  ...filesUnder(join(ROOT, 'docs'), (name) => name.endsWith('.md') && name !== 'lessons.md'),
  ...filesUnder(join(ROOT, 'packages'), (name) => name.endsWith('.md')),
].filter((f) => existsSync(f));

/** A citation by number alone ("lesson 4", "lessons 2 and 14"), not the link text of an anchor. */
const BARE_CITATION = /\blessons? \d+\b(?!\]\()/gi;

describe('docs/lessons.md', () => {
  const all = lessons();
  const anchors = new Set(all.map((l) => l.anchor));

  it('numbers its lessons 1..n, each heading with its own anchor', () => {
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((l) => l.n)).toEqual(all.map((_, i) => i + 1));
    expect(anchors.size).toBe(all.length);
    expect(githubAnchor('Lesson 4: a DLQ threshold that could never be reached')).toBe(
      'lesson-4-a-dlq-threshold-that-could-never-be-reached',
    );
  });

  it('every anchor cited in code, tests and docs exists', () => {
    const cited = [...sourceFiles, ...markdownFiles].flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/lessons\.md#([\w-]+)/g)].map((m) => ({
        file: relative(ROOT, file),
        anchor: m[1]!,
      })),
    );
    // The sweep found the citations at all (a broken walk would pass vacuously).
    expect(cited.length).toBeGreaterThan(50);
    expect(cited.filter((c) => !anchors.has(c.anchor))).toEqual([]);
  });

  it('no code, test or doc cites a lesson by number alone', () => {
    const bare = [...sourceFiles, ...markdownFiles].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.match(BARE_CITATION) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(bare).toEqual([]);
  });

  it('every lesson names at least one test, and every test it names exists', () => {
    const missing: string[] = [];
    for (const lesson of all) {
      const named = [...lesson.body.matchAll(/^- `([^`›]+?)(?: › ([^`]+))?`/gm)].map((m) => ({
        file: m[1]!.trim(),
        title: m[2]?.trim(),
      }));
      const tests = named.filter((t) => /\.test\.ts$|-contract\.ts$/.test(t.file));
      if (tests.length === 0) missing.push(`lesson ${lesson.n}: names no test`);
      for (const t of tests) {
        const path = join(ROOT, 'packages', t.file);
        if (!existsSync(path)) {
          missing.push(`lesson ${lesson.n}: ${t.file} does not exist`);
          continue;
        }
        const source = readFileSync(path, 'utf8');
        // "…" elides part of a long title; every other fragment must be in the file as written.
        const fragments = (t.title ?? '')
          .split('…')
          .map((f) => f.trim().replace(/^,\s*|,\s*$/g, ''))
          .filter(Boolean);
        for (const f of fragments)
          if (!source.includes(f)) missing.push(`lesson ${lesson.n}: ${t.file} has no test "${f}"`);
      }
    }
    expect(missing).toEqual([]);
  });
});
