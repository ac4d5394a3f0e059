import t from 'tap';
import {
  checkHealthThresholds,
  DEFAULT_HEALTH_THRESHOLDS,
  deviceInfoOf,
  effectiveThresholds,
  reportedThresholds,
} from '../../../../hub/controllers/device-conditions/thresholds.js';
import { hubSettings } from '../../../../hub/settings-file.js';
import type { DeviceInfoMessage } from '../../../../shared/proto/codec.js';

const info: DeviceInfoMessage = {
  arch: 'arm64',
  os: 'linux',
  kernel: '6.1',
  hostname: 'pi',
  runtime: 'docker',
  runtimeVersion: '24',
  agentVersion: '0.1.0',
  profile: 'raspberry-pi-4',
};

t.test('a device that reports its thresholds keeps them on its Device, rounded as people wrote them', async (t) => {
  const stored = deviceInfoOf({ ...info, health: { memoryPressurePercent: 90, diskPressurePercent: 85.30000305175781, highTemperatureCelsius: 75 } });
  t.same(stored.health, { memoryPressurePercent: 90, diskPressurePercent: 85.3, highTemperatureCelsius: 75 });
  t.equal(stored.profile, 'raspberry-pi-4');
});

t.test('a device that reports none, or leaves some at 0, has only what it set', async (t) => {
  t.notOk('health' in deviceInfoOf({ ...info, health: null }), 'no thresholds at all: none stored');
  t.notOk('health' in deviceInfoOf(info), 'an older agent');
  t.same(reportedThresholds({ memoryPressurePercent: 1, diskPressurePercent: 0, highTemperatureCelsius: 0 }), { memoryPressurePercent: 1 });
  t.equal(reportedThresholds({ memoryPressurePercent: 0, diskPressurePercent: 0, highTemperatureCelsius: 0 }), undefined);
});

t.test("each threshold is the device's own, else the hub's setting, else the default", async (t) => {
  t.same(effectiveThresholds(undefined), DEFAULT_HEALTH_THRESHOLDS);
  t.same(effectiveThresholds({ memoryPressurePercent: 70 }, { memoryPressurePercent: 80, highTemperatureCelsius: 65 }), {
    memoryPressurePercent: 70,
    diskPressurePercent: DEFAULT_HEALTH_THRESHOLDS.diskPressurePercent,
    highTemperatureCelsius: 65,
  });
});

t.test("the hub's settings file takes a deviceHealth section and names each bad threshold", async (t) => {
  t.same(hubSettings({ deviceHealth: { memoryPressurePercent: 80, highTemperatureCelsius: 70 } }, 'hub.yaml'), {
    deviceHealth: { memoryPressurePercent: 80, highTemperatureCelsius: 70 },
  });
  t.throws(() => hubSettings({ deviceHealth: { memoryPressurePercent: 120, fanSpeed: 3, diskPressurePercent: 'high' } }, 'hub.yaml'), {
    code: 'Invalid',
    details: [
      { field: 'deviceHealth.memoryPressurePercent', message: /at most 100/ },
      { field: 'deviceHealth.fanSpeed', message: /is not a threshold/ },
      { field: 'deviceHealth.diskPressurePercent', message: /must be a number/ },
    ],
  });
  t.throws(() => checkHealthThresholds([90]), { code: 'Invalid', details: [{ field: '', message: /must be a mapping/ }] });
  t.same(checkHealthThresholds(undefined), {});
});
