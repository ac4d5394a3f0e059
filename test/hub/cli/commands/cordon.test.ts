import t from 'tap';
import { deviceArgument, planDrain, podRef } from '../../../../hub/cli/commands/cordon.js';
import type { Pod, PodPhase } from '../../../../shared/objects.js';

function pod(name: string, nodeName: string, controller?: string, phase: PodPhase = 'Running', namespace = 'default'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(controller === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: controller, name: 'owner', uid: `uid-${name}`, controller: true }] }),
    },
    spec: { nodeName, containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase },
  };
}

const names = (pods: Pod[]) => pods.map(podRef);

t.test("drain evicts the device's Deployment pods, leaves its DaemonSet pods and names the pods nothing would bring back", async (t) => {
  const plan = planDrain('cam-7', [
    pod('web-1', 'cam-7', 'Deployment'),
    pod('web-2', 'cam-8', 'Deployment'),
    pod('agent-x', 'cam-7', 'DaemonSet', 'Running', 'kube'),
    pod('solo', 'cam-7'),
    pod('custom', 'cam-7', 'SomethingElse'),
    pod('done', 'cam-7', 'Deployment', 'Succeeded'),
    pod('crashed', 'cam-7', undefined, 'Failed'),
  ]);
  t.same(names(plan.evict), ['default/web-1']);
  t.same(names(plan.daemonSet), ['kube/agent-x']);
  t.same(names(plan.unmanaged), ['default/solo', 'default/custom'], 'an owner the hub does not manage brings nothing back either');
});

t.test('drain has nothing to do on a device without pods', async (t) => {
  t.same(planDrain('cam-7', [pod('web-1', 'cam-8', 'Deployment')]), { evict: [], daemonSet: [], unmanaged: [] });
});

t.test('cordon, uncordon and drain take a device name alone, or after the word device', async (t) => {
  t.equal(deviceArgument('cam-7', undefined), 'cam-7');
  t.equal(deviceArgument('device', 'cam-7'), 'cam-7');
  t.equal(deviceArgument('devices', 'cam-7'), 'cam-7');
  t.throws(() => deviceArgument('pod', 'web-1'), { message: 'unknown resource type "pod"', hint: 'use one of: devices' });
});
