import t from 'tap';
import { CpuSamples, workingSetBytes, type EngineStatsSample } from '../../../agent/runtime/container-stats.js';

const SECOND_NS = 1e9;

function sample(totalNs: number, read: string, extra: Partial<EngineStatsSample> = {}): EngineStatsSample {
  return { read, cpu_stats: { cpu_usage: { total_usage: totalNs }, system_cpu_usage: 0, online_cpus: 2 }, ...extra };
}

t.test("CPU is averaged over the time since the adapter's previous sample of the container", async (t) => {
  const cpu = new CpuSamples();
  cpu.cpuMillis('c1', sample(10 * SECOND_NS, '2026-01-01T12:00:00Z'), 0, Date.parse('2026-01-01T11:59:00Z'));
  // Half a core for 30 s is 15 s of CPU time.
  t.equal(cpu.cpuMillis('c1', sample(25 * SECOND_NS, '2026-01-01T12:00:30Z'), 0), 500);
});

t.test("a first sample uses the engine's own previous one when it has it (Docker)", async (t) => {
  const cpu = new CpuSamples();
  const docker = sample(2_100_000_000, '2026-01-01T12:00:00Z', {
    cpu_stats: { cpu_usage: { total_usage: 2_100_000_000 }, system_cpu_usage: 102 * SECOND_NS, online_cpus: 4 },
    precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 100 * SECOND_NS },
  });
  // 0.1 s of the container's CPU over 2 s of all four cores' time: a twentieth of the host, 200m.
  t.equal(cpu.cpuMillis('c1', docker, 0), 200);
});

t.test('a first sample without one (Podman) is the average since the container started, or 0 when that is unknown', async (t) => {
  const podman = sample(3 * SECOND_NS, '2026-01-01T12:00:10Z', { precpu_stats: { cpu_usage: { total_usage: 0 } } });
  t.equal(new CpuSamples().cpuMillis('c1', podman, 0, Date.parse('2026-01-01T12:00:00Z')), 300);
  t.equal(new CpuSamples().cpuMillis('c1', podman, 0), 0);
});

t.test('a counter that went back (the container restarted) is not read as a rate', async (t) => {
  const cpu = new CpuSamples();
  cpu.cpuMillis('c1', sample(100 * SECOND_NS, '2026-01-01T12:00:00Z'), 0);
  const restarted = cpu.cpuMillis('c1', sample(1 * SECOND_NS, '2026-01-01T12:00:30Z'), 0, Date.parse('2026-01-01T12:00:20Z'));
  t.equal(restarted, 100, 'since its new start: 1 s of CPU in 10 s');
});

t.test('containers that are gone are forgotten', async (t) => {
  const cpu = new CpuSamples();
  cpu.cpuMillis('a', sample(1, '2026-01-01T12:00:00Z'), 0);
  cpu.cpuMillis('b', sample(1, '2026-01-01T12:00:00Z'), 0);
  cpu.retainOnly(new Set(['b']));
  t.equal(cpu.size, 1);
});

t.test('memory is the working set: usage less the inactive page cache, on cgroup v1 and v2, or usage alone', async (t) => {
  t.equal(workingSetBytes({ memory_stats: { usage: 100_000, stats: { inactive_file: 30_000 } } }), 70_000, 'cgroup v2');
  t.equal(workingSetBytes({ memory_stats: { usage: 100_000, stats: { total_inactive_file: 40_000 } } }), 60_000, 'cgroup v1');
  t.equal(workingSetBytes({ memory_stats: { usage: 667_648 } }), 667_648, 'Podman on cgroup v1 gives usage alone');
  t.equal(workingSetBytes({ memory_stats: { usage: 10, stats: { inactive_file: 20 } } }), 0);
  t.equal(workingSetBytes({}), 0);
});
