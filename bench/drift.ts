// Drift bench: what the drift stage adds to one distill step, and how it grows with the tree, measured side by side.
//
//   bun bench/drift.ts [--files 2000,20000] [--claims 300] [--rounds 5] [--json]
//
// For each tree size F, two repositories with the same F source files (CamelCase symbols, a test per tenth file),
// a docs/PRD.md of C claims (phases with checkbox items naming paths, symbols and tests, some of them missing,
// `@req` tags in code) and `rounds` further commits. One repository's config has drift enabled, its twin's
// drift.enabled false. Round by round, sizes and repositories interleaved, each repository distills its next
// commit with `bin/git-distill run <oid> --sync`, and `git distill drift <oid> --no-store --json` runs alone.
// Printed: medians, the ratio run-with-drift ÷ run-without at each size, and drift at the large tree ÷ small.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSeconds, measureCommand, median, readMachineInfo, renderTable, type Measurement } from './lib.ts';

const ROOT = resolve(import.meta.dir, '..');
const BIN = join(ROOT, 'bin', 'git-distill');

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    files: { type: 'string', default: '2000,20000' },
    claims: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const sizes = String(values.files).split(',').map(Number);
const claims = Number(values.claims);
const rounds = Number(values.rounds);

function git(cwd: string, args: string[], date = '2024-01-01T00:00:00Z'): string {
  const r = Bun.spawnSync(['git', ...args], { cwd, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A PRD of `n` claims over `files` source files: a tenth missing, a tenth naming symbols, phases of 10 items. */
function prd(n: number, files: number): string {
  const lines = ['# Plan', ''];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) lines.push(`## Phase ${i / 10 + 1}: Part ${i / 10 + 1} ${i % 20 === 0 ? '✅' : '(in progress)'}`, '');
    const f = (i * 7919) % files;
    const ref = i % 10 === 3 ? `\`src/m${f % 100}/missing${i}.ts\`` : i % 10 === 5 ? `\`Widget${f}Store\`` : `\`src/m${f % 100}/file${f}.ts\``;
    lines.push(`- [${i % 3 === 0 ? ' ' : 'x'}] FR-${String(i + 1).padStart(3, '0')}: item ${i} in ${ref}`);
    if (i % 10 === 7) lines.push(`  Tests: \`tests/m${f % 100}/file${f}.test.ts\``);
  }
  return lines.join('\n') + '\n';
}

function buildRepo(dir: string, files: number, driftEnabled: boolean): string[] {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  for (let f = 0; f < files; f++) {
    write(dir, `src/m${f % 100}/file${f}.ts`, `// @req FR-${String((f % claims) + 1).padStart(3, '0')}\nexport class Widget${f}Store {}\nexport function load${f}() { return ${f}; }\n`);
    if (f % 10 === 0) write(dir, `tests/m${f % 100}/file${f}.test.ts`, `import { load${f} } from '../../src/m${f % 100}/file${f}';\n`);
  }
  write(dir, 'docs/PRD.md', prd(claims, files));
  write(dir, '.distill/config.json', JSON.stringify({ schema_version: 1, drift: { enabled: driftEnabled } }) + '\n');
  write(dir, '.gitignore', '.distill/cache/\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'tree']);
  const oids: string[] = [];
  for (let r = 0; r <= rounds; r++) {
    write(dir, `src/m0/file0.ts`, `// round ${r}\nexport class Widget0Store {}\n`);
    git(dir, ['commit', '-q', '-am', `round ${r}`], `2024-01-01T00:0${r % 10}:00Z`);
    oids.push(git(dir, ['rev-parse', 'HEAD']));
  }
  return oids;
}

const temp = mkdtempSync(join(tmpdir(), 'bench-drift-'));
const results: Array<{ files: number; with: Measurement[]; without: Measurement[]; drift: Measurement[] }> = [];
try {
  const repos = sizes.map((files) => {
    const on = join(temp, `on-${files}`);
    const off = join(temp, `off-${files}`);
    const t0 = performance.now();
    const oidsOn = buildRepo(on, files, true);
    const oidsOff = buildRepo(off, files, false);
    process.stderr.write(`built two repositories of ${files} files in ${formatSeconds(performance.now() - t0)}\n`);
    return { files, on, off, oidsOn, oidsOff };
  });
  for (const r of repos) {
    // Warm both caches on the first commit: the rounds measure a step with a warm cache, as the hook's worker has.
    for (const [dir, oids] of [[r.on, r.oidsOn], [r.off, r.oidsOff]] as const) {
      const m = await measureCommand([BIN, 'run', oids[0]!, '--sync'], { cwd: dir });
      if (m.exit_code !== 0) throw new Error(`warm-up run failed: ${m.stderr_tail}`);
    }
    results.push({ files: r.files, with: [], without: [], drift: [] });
  }
  for (let round = 1; round <= rounds; round++) {
    for (const [i, r] of repos.entries()) {
      const res = results[i]!;
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const which of order) {
        const dir = which === 'on' ? r.on : r.off;
        const oid = (which === 'on' ? r.oidsOn : r.oidsOff)[round]!;
        const m = await measureCommand([BIN, 'run', oid, '--sync'], { cwd: dir });
        if (m.exit_code !== 0) throw new Error(`run failed: ${m.stderr_tail}`);
        (which === 'on' ? res.with : res.without).push(m);
      }
      const d = await measureCommand([BIN, 'drift', r.oidsOn[round]!, '--no-store', '--json'], { cwd: r.on, stdout: 'capture' });
      if (d.exit_code !== 0) throw new Error(`drift failed: ${d.stderr_tail}`);
      res.drift.push(d);
    }
  }
  const med = (ms: Measurement[], k: 'wall_ms' | 'cpu_ms') => median(ms.map((m) => m[k]));
  const rows = results.map((r) => [
    String(r.files),
    formatSeconds(med(r.without, 'wall_ms')),
    formatSeconds(med(r.with, 'wall_ms')),
    `${(med(r.with, 'wall_ms') / med(r.without, 'wall_ms')).toFixed(2)}×`,
    `${(med(r.with, 'cpu_ms') / med(r.without, 'cpu_ms')).toFixed(2)}×`,
    formatSeconds(med(r.drift, 'wall_ms')),
  ]);
  const report = {
    machine: readMachineInfo(),
    claims,
    rounds,
    sizes: results.map((r) => ({ files: r.files, run_without_ms: med(r.without, 'wall_ms'), run_with_ms: med(r.with, 'wall_ms'), run_cpu_ratio: med(r.with, 'cpu_ms') / med(r.without, 'cpu_ms'), drift_alone_ms: med(r.drift, 'wall_ms') })),
    drift_large_over_small: results.length > 1 ? med(results[results.length - 1]!.drift, 'wall_ms') / med(results[0]!.drift, 'wall_ms') : null,
  };
  if (values.json === true) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`drift bench: ${claims} claims, ${rounds} rounds, medians (${report.machine.cpu_model}, ${report.machine.cpus} CPUs)\n`);
    console.log(renderTable(['files', 'run, drift off', 'run, drift on', 'on ÷ off (wall)', 'on ÷ off (CPU)', 'drift alone'], rows));
    if (report.drift_large_over_small !== null) console.log(`\ndrift alone at ${sizes[sizes.length - 1]} files ÷ at ${sizes[0]}: ${report.drift_large_over_small.toFixed(2)}×`);
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
