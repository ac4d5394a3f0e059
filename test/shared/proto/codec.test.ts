import t from 'tap';
import {
  decode,
  encode,
  MAX_PAYLOAD_BYTES,
  WireError,
  type BirthMessage,
  type DeathMessage,
  type DesiredStateMessage,
  type EventBatchMessage,
  type HeartbeatMessage,
  type StatusReportMessage,
  type WireMessageName,
} from '../../../shared/proto/codec.js';

const status: StatusReportMessage = {
  observedGeneration: 12,
  deviceEvents: true,
  pods: [
    {
      namespace: 'plant-3',
      name: 'camera-feed',
      uid: 'uid-1',
      phase: 'Running',
      reason: 'CrashLoopBackOff',
      message: 'back-off 20s restarting failed container app (exit code 1)',
      containers: [
        {
          name: 'app',
          image: 'localhost/busybox:test',
          state: 'waiting',
          reason: 'CrashLoopBackOff',
          message: 'back-off',
          exitCode: -1,
          restartCount: 3,
          startedAtMs: 1_714_557_600_000,
          finishedAtMs: 1_714_557_660_000,
          containerId: 'abc123',
          ready: false,
        },
      ],
    },
  ],
};

const birth: BirthMessage = {
  bdSeq: 42,
  info: {
    arch: 'arm64',
    os: 'linux',
    kernel: '6.1.0',
    hostname: 'pi-1',
    runtime: 'podman',
    runtimeVersion: '4.3.1',
    agentVersion: '0.1.0',
    profile: 'raspberry-pi-4',
    health: { memoryPressurePercent: 90, diskPressurePercent: 85, highTemperatureCelsius: 75 },
  },
  capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, pods: 110 },
  labels: { site: 'plant-3', role: 'camera' },
  status,
};

const death: DeathMessage = { bdSeq: 42, graceful: true };

const events: EventBatchMessage = {
  stream: '9f3c2a71d0e4b856',
  dropped: 3,
  events: [
    { sequence: 41, namespace: 'plant-3', name: 'camera-feed', uid: 'uid-1', type: 'Warning', reason: 'Error', message: 'container app exited with code 137', atMs: 1_795_000_000_000 },
    { sequence: 42, namespace: 'plant-3', name: 'camera-feed', uid: 'uid-1', type: 'Normal', reason: 'Restarted', message: 'restarted container app (restart 1)', atMs: 1_795_000_000_050 },
  ],
};

const heartbeat: HeartbeatMessage = {
  cpuPercent: 12.5,
  memoryUsedBytes: 6_000_000_000,
  memoryTotalBytes: 8_589_934_592,
  diskUsedBytes: 2_000_000_000,
  diskTotalBytes: 32_000_000_000,
  temperatureCelsius: 48.5,
  uptimeSeconds: 86_400,
  runningPods: 3,
  bdSeq: 42,
  sentAtMs: 1_795_000_000_000,
  networkRxBytes: 12_000_000_000,
  networkTxBytes: 340_000_000,
  networkRxBytesPerSecond: 2048,
  networkTxBytesPerSecond: 512,
};

const desired: DesiredStateMessage = {
  generation: 7,
  pods: [
    {
      namespace: 'plant-3',
      name: 'camera-feed',
      uid: 'uid-1',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'app',
          image: 'localhost/busybox:test',
          command: ['/bin/sh', '-c'],
          args: ['httpd -f -p 8080'],
          env: [{ name: 'MODE', value: 'fast' }],
          ports: [{ containerPort: 8080, hostPort: 80, protocol: 'TCP' }],
          cpuMillis: 500,
          memoryBytes: 3 * 1024 ** 3,
          imagePullPolicy: 'IfNotPresent',
        },
      ],
    },
  ],
};

t.test('round-trips every message unchanged', async (t) => {
  t.same(decode('Birth', encode('Birth', birth)), birth);
  t.same(decode('Death', encode('Death', death)), death);
  t.same(decode('Heartbeat', encode('Heartbeat', heartbeat)), heartbeat);
  t.same(decode('DesiredState', encode('DesiredState', desired)), desired);
  t.same(decode('StatusReport', encode('StatusReport', status)), status);
  t.same(decode('EventBatch', encode('EventBatch', events)), events);
});

t.test('decodes an empty payload to the defaults, with absent sub-messages as null', async (t) => {
  const empty = new Uint8Array();
  t.same(decode('Birth', empty), { bdSeq: 0, info: null, capacity: null, labels: {}, status: null });
  t.same(decode('Death', empty), { bdSeq: 0, graceful: false });
  t.same(decode('DesiredState', empty), { generation: 0, pods: [] });
  t.same(decode('StatusReport', empty), { observedGeneration: 0, pods: [], deviceEvents: false });
  t.same(decode('EventBatch', empty), { events: [], dropped: 0, stream: '' });
  t.equal(decode('Heartbeat', empty).memoryTotalBytes, 0);
});

t.test('fills in the fields a sender left out', async (t) => {
  const decoded = decode('DesiredState', encode('DesiredState', { generation: 1, pods: [{ name: 'web' } as DesiredStateMessage['pods'][number]] }));
  t.same(decoded.pods[0], { namespace: '', name: 'web', uid: '', restartPolicy: '', containers: [], terminationGracePeriodSeconds: 0 });
});

t.test('refuses a malformed payload with a WireError naming the message', async (t) => {
  const payloads: [string, Uint8Array][] = [
    ['truncated', encode('Birth', birth).subarray(0, 12)],
    ['JSON instead of protobuf', Buffer.from('{"bdSeq":1}')],
    ['an invalid wire type', Uint8Array.from([0x0f])],
    ['a length past the end', Uint8Array.from([0x12, 0x7f, 0x01])],
    ['garbage', Uint8Array.from([0xff, 0xff, 0xff])],
  ];
  for (const [what, payload] of payloads) {
    t.throws(() => decode('Birth', payload), { name: 'WireError', message: /^malformed Birth payload/ }, what);
  }
});

t.test('throws nothing but a WireError, whatever bytes arrive', async (t) => {
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const names: WireMessageName[] = ['Birth', 'Death', 'Heartbeat', 'DesiredState', 'StatusReport', 'EventBatch'];
  const valid = encode('DesiredState', desired);
  for (let i = 0; i < 10_000; i++) {
    let payload: Uint8Array;
    if (i % 2 === 0) {
      payload = Uint8Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256));
    } else {
      payload = Uint8Array.from(valid);
      for (let k = 0; k < 3; k++) payload[Math.floor(next() * payload.length)] = Math.floor(next() * 256);
    }
    const name = names[i % names.length]!;
    try {
      decode(name, payload);
    } catch (error) {
      if (!(error instanceof WireError)) {
        t.fail(`${name} of ${Buffer.from(payload).toString('hex')} threw ${String(error)}`);
        return;
      }
    }
  }
  t.pass('10000 corrupted payloads');
});

t.test('refuses an oversized payload before decoding it', async (t) => {
  // A well-formed Birth whose labels alone exceed the limit: it would decode if it were tried.
  const big = encode('Birth', { bdSeq: 1, labels: { padding: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
  t.ok(big.byteLength > MAX_PAYLOAD_BYTES);
  t.throws(() => decode('Birth', big), { name: 'WireError', message: `Birth payload of ${big.byteLength} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit` });
});

t.test('accepts a payload of exactly the limit', async (t) => {
  const overhead = encode('Birth', { bdSeq: 1, labels: { p: '' } }).byteLength;
  let padding = MAX_PAYLOAD_BYTES - overhead;
  let payload = encode('Birth', { bdSeq: 1, labels: { p: 'x'.repeat(padding) } });
  // Longer strings take more bytes for their length prefixes: trim until it fits exactly.
  while (payload.byteLength > MAX_PAYLOAD_BYTES) {
    padding -= payload.byteLength - MAX_PAYLOAD_BYTES;
    payload = encode('Birth', { bdSeq: 1, labels: { p: 'x'.repeat(padding) } });
  }
  t.equal(payload.byteLength, MAX_PAYLOAD_BYTES);
  t.equal(decode('Birth', payload).labels.p?.length, padding);
});

t.test('refuses to encode a field of the wrong type, with a WireError naming it', async (t) => {
  t.throws(() => encode('Heartbeat', { cpuPercent: 'high' as unknown as number }), { name: 'WireError', message: /cannot encode Heartbeat: cpuPercent/ });
  t.throws(() => encode('DesiredState', { pods: 'none' as unknown as [] }), WireError);
});

t.test('reads a status report of an agent older than device events as one whose events the hub infers', async (t) => {
  const old = encode('StatusReport', { observedGeneration: 3, pods: [] });
  t.equal(decode('StatusReport', old).deviceEvents, false);
});

t.test('ignores fields it does not know, so a newer agent still talks to an older hub', async (t) => {
  const known = encode('Death', death);
  // Field 15, length-delimited, 3 bytes: what a later version might add.
  const withExtra = Uint8Array.from([...known, (15 << 3) | 2, 3, 0x61, 0x62, 0x63]);
  t.same(decode('Death', withExtra), death);
});
