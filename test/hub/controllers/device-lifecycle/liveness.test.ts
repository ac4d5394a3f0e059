import t from 'tap';
import { livenessState, usageOf, type Liveness } from '../../../../hub/controllers/device-lifecycle/liveness.js';
import type { HeartbeatMessage } from '../../../../shared/proto/codec.js';

const THRESHOLDS = { notReadyAfterMs: 15_000, offlineAfterMs: 120_000 };
const SEEN = 1_700_000_000_000;

function live(overrides: Partial<Liveness> = {}): Liveness {
  return { bdSeq: 4, lastSeenMs: SEEN, connected: true, gracefulStop: false, ...overrides };
}

t.test('a connected device heard from recently is Ready', async (t) => {
  t.same(livenessState(live(), SEEN + 1_000, THRESHOLDS), { state: 'Ready', message: 'heartbeats on time' });
  t.equal(livenessState(live(), SEEN + 14_999, THRESHOLDS).state, 'Ready');
});

t.test('a device silent for notReadyAfter goes NotReady, saying how long it waited', async (t) => {
  t.same(livenessState(live(), SEEN + 15_000, THRESHOLDS), { state: 'NotReady', message: 'no heartbeat for more than 15s' });
});

t.test('a device whose session died is NotReady at once, saying whether it stopped or lost its link', async (t) => {
  t.same(livenessState(live({ connected: false, gracefulStop: true }), SEEN + 1, THRESHOLDS), { state: 'NotReady', message: 'agent stopped' });
  t.same(livenessState(live({ connected: false, gracefulStop: false }), SEEN + 1, THRESHOLDS), {
    state: 'NotReady',
    message: 'connection lost (MQTT Last Will)',
  });
});

t.test('a device goes Offline after offlineAfter without contact, connected or not', async (t) => {
  const offline = { state: 'Offline', message: 'no contact for more than 120s' };
  t.same(livenessState(live(), SEEN + 120_000, THRESHOLDS), offline);
  t.same(livenessState(live({ connected: false, gracefulStop: true }), SEEN + 120_000, THRESHOLDS), offline);
  t.same(livenessState(live({ connected: false }), SEEN + 119_999, THRESHOLDS).state, 'NotReady');
});

t.test('keeps the same message while the state holds, so nothing is rewritten every tick', async (t) => {
  for (const [from, to] of [
    [1_000, 14_000],
    [15_000, 119_000],
    [120_000, 86_400_000],
  ] as const) {
    t.same(livenessState(live(), SEEN + from, THRESHOLDS), livenessState(live(), SEEN + to, THRESHOLDS), `${from}ms vs ${to}ms`);
  }
});

t.test('names fractional thresholds to a tenth of a second', async (t) => {
  t.equal(livenessState(live(), SEEN + 1_500, { notReadyAfterMs: 1_500, offlineAfterMs: 60_000 }).message, 'no heartbeat for more than 1.5s');
});

function heartbeat(overrides: Partial<HeartbeatMessage> = {}): HeartbeatMessage {
  return {
    cpuPercent: 12.5,
    memoryUsedBytes: 300e6,
    memoryTotalBytes: 1e9,
    diskUsedBytes: 2e9,
    diskTotalBytes: 16e9,
    temperatureCelsius: 48.5,
    uptimeSeconds: 3600,
    runningPods: 2,
    bdSeq: 4,
    sentAtMs: SEEN,
    ...overrides,
  };
}

t.test('turns a heartbeat into the usage shown on the device', async (t) => {
  t.same(usageOf(heartbeat()), {
    cpuPercent: 12.5,
    memoryUsedBytes: 300e6,
    memoryTotalBytes: 1e9,
    uptimeSeconds: 3600,
    diskUsedBytes: 2e9,
    diskTotalBytes: 16e9,
    temperatureCelsius: 48.5,
  });
});

t.test('leaves out disk and temperature a board does not report', async (t) => {
  const usage = usageOf(heartbeat({ diskUsedBytes: 0, diskTotalBytes: 0, temperatureCelsius: 0 }));
  t.notOk('diskUsedBytes' in usage);
  t.notOk('diskTotalBytes' in usage);
  t.notOk('temperatureCelsius' in usage);
});
