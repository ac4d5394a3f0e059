import t from 'tap';
import { describeDeployment, notPlacedText } from '../../../../hub/cli/format/describe-deployment.js';
import type { Deployment, Pod } from '../../../../shared/objects.js';

const LINE = '0/40 devices are available: 25 do not match role=camera, 10 are NotReady, 5 have too little memory.';

function replica(name: string, placed: boolean): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...(placed ? { nodeName: 'cam-1' } : {}) },
    status: {
      phase: 'Pending',
      conditions: [
        placed
          ? { type: 'PodScheduled', status: 'True' }
          : { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `${LINE}\n  cam-1: device is NotReady` },
      ],
    },
  };
}

const web: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
};

t.test("shows how many of a Deployment's pods wait for a device and the scheduler's line saying why", async (t) => {
  const pods = [replica('web-1', true), replica('web-2', false), replica('web-3', false)];
  t.equal(notPlacedText(pods), `2 pods: ${LINE}`);
  t.match(describeDeployment(web, pods, [], Date.now()), new RegExp(`^Not Placed: +2 pods: ${LINE.replace(/[.()]/g, '\\$&')}$`, 'm'));
});

t.test('says nothing of placement when every pod has a device', async (t) => {
  const pods = [replica('web-1', true)];
  t.equal(notPlacedText(pods), undefined);
  t.notMatch(describeDeployment(web, pods, [], Date.now()), /Not Placed/);
});
