import t from 'tap';
import { activePressures, nextConditions, PRESSURE_MARGIN, type ConditionInput } from '../../../../hub/controllers/device-conditions/pressure.js';
import { DEFAULT_HEALTH_THRESHOLDS } from '../../../../hub/controllers/device-conditions/thresholds.js';
import type { DeviceCondition, DeviceUsage } from '../../../../shared/objects.js';

const GIB = 1024 ** 3;
const T0 = '2026-01-01T12:00:00.000Z';
const T1 = '2026-01-01T12:00:10.000Z';
const T2 = '2026-01-01T12:00:20.000Z';

/** A heartbeat's figures: memory and disk as percentages of 100 GiB, and a temperature (null: no sensor). */
function usage(memoryPercent: number, diskPercent = 40, temperatureCelsius: number | null = 50): DeviceUsage {
  return {
    cpuPercent: 10,
    memoryUsedBytes: (memoryPercent / 100) * 100 * GIB,
    memoryTotalBytes: 100 * GIB,
    diskUsedBytes: (diskPercent / 100) * 100 * GIB,
    diskTotalBytes: 100 * GIB,
    ...(temperatureCelsius === null ? {} : { temperatureCelsius }),
  };
}

function ready(figures: DeviceUsage | undefined, thresholds = DEFAULT_HEALTH_THRESHOLDS): ConditionInput {
  return { state: 'Ready', stateMessage: 'heartbeats on time', usage: figures, thresholds };
}

function statusOf(conditions: readonly DeviceCondition[], type: DeviceCondition['type']): string | undefined {
  return conditions.find((condition) => condition.type === type)?.status;
}

t.test('a Ready device below every threshold is Ready and under no pressure, in a fixed order', async (t) => {
  const { conditions, transitions, changed } = nextConditions(undefined, ready(usage(40)), T0);
  t.same(
    conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'AgentReady'],
      ['MemoryPressure', 'False', 'MemoryBelowThreshold'],
      ['DiskPressure', 'False', 'DiskBelowThreshold'],
      ['HighTemperature', 'False', 'TemperatureBelowThreshold'],
    ],
  );
  t.ok(changed, 'a device without conditions gets them written');
  t.equal(transitions.length, 4);
  t.ok(conditions.every((c) => c.lastTransitionTime === T0));
  t.same(activePressures(conditions), []);
});

t.test('memory at its threshold is pressure, named with the figure and the threshold', async (t) => {
  const { conditions, transitions } = nextConditions(undefined, ready(usage(90)), T0);
  const memory = conditions.find((c) => c.type === 'MemoryPressure');
  t.equal(memory?.status, 'True');
  t.equal(memory?.reason, 'MemoryAboveThreshold');
  t.equal(memory?.message, 'memory 90% in use, at or above the 90% threshold');
  t.ok(transitions.some((tr) => tr.type === 'MemoryPressure' && tr.condition.status === 'True'));
  t.same(activePressures(conditions).map((c) => c.type), ['MemoryPressure']);
});

t.test('pressure holds while the figure stays within the margin below the threshold, and ends past it', async (t) => {
  const first = nextConditions(undefined, ready(usage(91)), T0);
  const hovering = nextConditions(first.conditions, ready(usage(90 - PRESSURE_MARGIN.MemoryPressure + 1)), T1);
  t.equal(statusOf(hovering.conditions, 'MemoryPressure'), 'True', 'one point above the margin: still under pressure');
  t.notOk(hovering.changed, 'nothing to write while the status holds');
  t.same(hovering.transitions, []);

  const relieved = nextConditions(hovering.conditions, ready(usage(90 - PRESSURE_MARGIN.MemoryPressure - 1)), T2);
  const memory = relieved.conditions.find((c) => c.type === 'MemoryPressure');
  t.equal(memory?.status, 'False');
  t.equal(memory?.lastTransitionTime, T2);
  t.match(memory?.message, /more than 5% below the 90% threshold/);
  t.same(relieved.transitions.map((tr) => [tr.type, tr.from, tr.condition.status]), [['MemoryPressure', 'True', 'False']]);
});

t.test('a figure hovering just under the threshold never turns pressure on', async (t) => {
  let conditions = nextConditions(undefined, ready(usage(89.9)), T0).conditions;
  for (const figure of [89.5, 89.99, 88, 89.9]) {
    const update = nextConditions(conditions, ready(usage(figure)), T1);
    t.equal(statusOf(update.conditions, 'MemoryPressure'), 'False', `${figure}%`);
    t.notOk(update.changed);
    conditions = update.conditions;
  }
});

t.test('a figure that hovers around the threshold turns pressure on once, not on every crossing', async (t) => {
  let conditions = nextConditions(undefined, ready(usage(50)), T0).conditions;
  const changes: string[] = [];
  for (const figure of [90, 89, 90.5, 88, 91, 86]) {
    const update = nextConditions(conditions, ready(usage(figure)), T1);
    for (const transition of update.transitions) changes.push(`${transition.type}=${transition.condition.status}`);
    conditions = update.conditions;
  }
  t.same(changes, ['MemoryPressure=True'], 'on at 90%, and on all the way down to 86%');
});

t.test('disk and temperature have thresholds of their own', async (t) => {
  const thresholds = { memoryPressurePercent: 95, diskPressurePercent: 80, highTemperatureCelsius: 70 };
  const { conditions } = nextConditions(undefined, ready(usage(50, 81, 72), thresholds), T0);
  t.same(activePressures(conditions).map((c) => c.type), ['DiskPressure', 'HighTemperature']);
  t.equal(conditions.find((c) => c.type === 'HighTemperature')?.message, 'temperature 72 °C, at or above the 70 °C threshold');
});

t.test('a device without a temperature sensor has no high temperature, and says why', async (t) => {
  const { conditions } = nextConditions(undefined, ready(usage(50, 40, null)), T0);
  const temperature = conditions.find((c) => c.type === 'HighTemperature');
  t.equal(temperature?.status, 'False');
  t.equal(temperature?.reason, 'NotMeasured');
  t.equal(temperature?.message, 'the device reports no temperature sensor');
});

t.test('a device that goes NotReady or Offline has its pressure conditions Unknown, and Ready follows its state', async (t) => {
  const before = nextConditions(undefined, ready(usage(95)), T0).conditions;
  const notReady = nextConditions(before, { state: 'NotReady', stateMessage: 'connection lost (MQTT Last Will)', usage: usage(95), thresholds: DEFAULT_HEALTH_THRESHOLDS }, T1);
  t.same(
    notReady.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'False', 'AgentNotReady'],
      ['MemoryPressure', 'Unknown', 'DeviceNotReady'],
      ['DiskPressure', 'Unknown', 'DeviceNotReady'],
      ['HighTemperature', 'Unknown', 'DeviceNotReady'],
    ],
  );
  t.equal(notReady.conditions[0]?.message, 'connection lost (MQTT Last Will)');
  const offline = nextConditions(notReady.conditions, { state: 'Offline', usage: usage(95), thresholds: DEFAULT_HEALTH_THRESHOLDS }, T2);
  t.equal(statusOf(offline.conditions, 'Ready'), 'Unknown');
  t.equal(offline.conditions.find((c) => c.type === 'MemoryPressure')?.reason, 'DeviceOffline');
  t.same(activePressures(offline.conditions), [], 'a stale figure keeps no pod off');
});

t.test('a device that never sent figures has only its Ready condition while it is not Ready', async (t) => {
  const { conditions } = nextConditions(undefined, { state: 'NotReady', usage: undefined, thresholds: DEFAULT_HEALTH_THRESHOLDS }, T0);
  t.same(conditions.map((c) => c.type), ['Ready']);
});

t.test('conditions whose status holds keep their time and message, so nothing is written per heartbeat', async (t) => {
  const first = nextConditions(undefined, ready(usage(40)), T0);
  const next = nextConditions(first.conditions, ready(usage(45, 41, 51)), T1);
  t.notOk(next.changed);
  t.same(next.conditions, first.conditions);
});

t.test('just after a hub restart, without figures yet, the stored pressure stays as it was', async (t) => {
  const stored = nextConditions(undefined, ready(usage(95)), T0).conditions;
  const { conditions, changed } = nextConditions(stored, ready(undefined), T1);
  t.notOk(changed);
  t.equal(statusOf(conditions, 'MemoryPressure'), 'True');
});

t.test('a figure measured at last replaces "not measured" without counting as a transition', async (t) => {
  const unmeasured = nextConditions(undefined, ready(usage(40, 40, null)), T0).conditions;
  const measured = nextConditions(unmeasured, ready(usage(40, 40, 50)), T1);
  t.ok(measured.changed);
  t.same(measured.transitions, []);
  const temperature = measured.conditions.find((c) => c.type === 'HighTemperature');
  t.equal(temperature?.reason, 'TemperatureBelowThreshold');
  t.equal(temperature?.lastTransitionTime, T0, 'its status has been False since then');
});
