/**
 * The quick mode of `npm run bench` runs every benchmark end to end, so none can rot: each
 * one must produce its figures as numbers. The figures themselves are not judged here.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO, tempDir } from '../../helpers/fleet.js';

interface Results {
  quick: boolean;
  figures: { benchmark: string; name: string; value: number | null; unit: string; note?: string }[];
}

t.test('every benchmark runs in quick mode and reports its figures as numbers', async (t) => {
  const runner = join(REPO, 'dist', 'scripts', 'bench', 'run.js');
  t.ok(existsSync(runner), 'the benchmarks are built (npm run build)');
  const out = join(await tempDir(t, 'bench'), 'results.json');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [runner, '--quick', '--out', out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (exitCode) => {
      t.comment(output);
      resolve(exitCode);
    });
  });
  t.equal(code, 0, 'the runner exits 0');
  const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
  t.equal(results.quick, true);
  const benchmarks = new Set(results.figures.map((f) => f.benchmark));
  for (const name of ['pod-startup', 'hub-scale', 'scheduler', 'rollout', 'daemonset-rollout', 'hub-restart', 'agent-footprint', 'brokers']) {
    t.ok(benchmarks.has(name), `${name} reported figures`);
  }
  for (const figure of results.figures) {
    t.type(figure.value, 'number', `${figure.benchmark} / ${figure.name} was measured${figure.note ? ` (${figure.note})` : ''}`);
  }
});
