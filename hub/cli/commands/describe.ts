/** `flotilla describe pod|device|deployment|daemonset|secret <name>`. */
import type { AnyObject, DaemonSet, Deployment, Device, FlotillaEvent, Kind, Pod, Secret } from '../../../shared/objects.js';
import { KINDS } from '../../../shared/objects.js';
import { apiPath, commandContext, kindOfArgument, write } from '../context.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { daemonSetSelector } from '../format/daemonsets.js';
import { describeDaemonSet } from '../format/describe-daemonset.js';
import { describeDeployment } from '../format/describe-deployment.js';
import { describeDevice } from '../format/describe-device.js';
import { describePod } from '../format/describe-pod.js';
import { describeSecret } from '../format/describe-secret.js';
import { deploymentSelector } from '../format/deployments.js';

interface List<T> {
  items: T[];
}

async function eventsAbout(context: CommandContext, object: AnyObject): Promise<FlotillaEvent[]> {
  const namespace = KINDS[object.kind].namespaced ? (object.metadata.namespace ?? context.namespace) : undefined;
  const list = await context.client.get<List<FlotillaEvent>>(apiPath('Event', undefined), {
    involvedKind: object.kind,
    involvedName: object.metadata.name,
    involvedNamespace: namespace,
  });
  return list.items;
}

const DESCRIBABLE: readonly Kind[] = ['Pod', 'Device', 'Deployment', 'DaemonSet', 'Secret'];

export async function runDescribe(type: string, name: string, options: GlobalOptions): Promise<void> {
  const context = commandContext(options);
  const kind = kindOfArgument(type, DESCRIBABLE);
  const now = Date.now();
  const object = await context.client.get<AnyObject>(apiPath(kind, context.namespace, name));
  const events = await eventsAbout(context, object);
  switch (object.kind) {
    case 'Pod':
      write(describePod(object, events, now));
      return;
    case 'Device': {
      const pods = await context.client.get<List<Pod>>(apiPath('Pod', undefined));
      const onDevice = pods.items.filter((pod) => pod.spec.nodeName === object.metadata.name);
      write(describeDevice(object as Device, onDevice, events, now));
      return;
    }
    case 'Deployment': {
      const deployment = object as Deployment;
      const selector = deploymentSelector(deployment);
      const pods =
        selector === ''
          ? []
          : (await context.client.get<List<Pod>>(apiPath('Pod', deployment.metadata.namespace ?? context.namespace), { labelSelector: selector }))
              .items;
      write(describeDeployment(deployment, pods, events, now));
      return;
    }
    case 'DaemonSet': {
      const daemonSet = object as DaemonSet;
      const selector = daemonSetSelector(daemonSet);
      const pods =
        selector === ''
          ? []
          : (await context.client.get<List<Pod>>(apiPath('Pod', daemonSet.metadata.namespace ?? context.namespace), { labelSelector: selector })).items;
      const owned = pods.filter((pod) => pod.metadata.ownerReferences?.some((o) => o.uid === daemonSet.metadata.uid));
      write(describeDaemonSet(daemonSet, owned, events, now));
      return;
    }
    case 'Secret':
      write(describeSecret(object as Secret, events, now));
      return;
    default:
      return;
  }
}
