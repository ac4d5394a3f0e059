/**
 * `npm run bench [-- --quick] [-- --only <name>]`: runs every benchmark, prints one table and
 * writes the same figures as JSON to .flotilla/bench/results.json (or --out <file>).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentFootprint } from './agent-footprint.js';
import { brokers } from './brokers.js';
import { daemonSetRollout } from './daemonset-rollout.js';
import type { Benchmark, BenchContext, Figure } from './framework.js';
import { hubRestart } from './hub-restart.js';
import { hubScale } from './hub-scale.js';
import { podStartup } from './pod-startup.js';
import { rollout } from './rollout.js';
import { schedulerThroughput } from './scheduler.js';

const BENCHMARKS: Benchmark[] = [podStartup, hubScale, schedulerThroughput, rollout, daemonSetRollout, hubRestart, agentFootprint, brokers];

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Arguments {
  quick: boolean;
  only: string[];
  out: string;
}

function parseArguments(argv: string[]): Arguments {
  const args: Arguments = { quick: false, only: [], out: join(REPO, '.flotilla', 'bench', 'results.json') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') args.only.push(argv[++i] ?? '');
    else if (arg === '--out') args.out = resolve(argv[++i] ?? args.out);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench -- [--quick] [--only <benchmark>]... [--out <file>]\nbenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument ${arg}; see --help\n`);
      process.exit(2);
    }
  }
  return args;
}

function formatValue(figure: Figure): string {
  if (figure.value === null || Number.isNaN(figure.value)) return 'n/a';
  const value = Math.abs(figure.value) >= 100 ? Math.round(figure.value).toString() : String(Math.round(figure.value * 100) / 100);
  return `${value} ${figure.unit}`.trim();
}

export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.benchmark,
    f.name,
    formatValue(f),
    f.goal ?? '',
    f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    [f.reference, f.note].filter(Boolean).join('; '),
  ]);
  const header = ['BENCHMARK', 'FIGURE', 'VALUE', 'GOAL', 'MET', 'REFERENCE / NOTE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
  const ctx: BenchContext = {
    quick: args.quick,
    workDir,
    cli: join(REPO, 'dist', 'hub', 'cli', 'flotilla.js'),
    log: (line) => process.stderr.write(`  ${line}\n`),
  };
  const selected = args.only.length > 0 ? BENCHMARKS.filter((b) => args.only.includes(b.name)) : BENCHMARKS;
  const figures: Figure[] = [];
  const started = Date.now();
  try {
    for (const benchmark of selected) {
      process.stderr.write(`▶ ${benchmark.name}${args.quick ? ' (quick)' : ''}\n`);
      const benchStarted = Date.now();
      try {
        figures.push(...(await benchmark.run({ ...ctx, workDir: mkdtempSync(join(workDir, `${benchmark.name.replace(/\W+/g, '-')}-`)) })));
      } catch (error) {
        figures.push({ benchmark: benchmark.name, name: 'run', value: null, unit: '', note: `failed: ${(error as Error).message}` });
      }
      process.stderr.write(`  done in ${Math.round((Date.now() - benchStarted) / 1000)} s\n`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const result = {
    date: new Date().toISOString(),
    quick: args.quick,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    seconds: Math.round((Date.now() - started) / 1000),
    figures,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table(figures)}\n\nfigures written to ${args.out}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
