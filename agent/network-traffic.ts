/**
 * What a device sends and receives over its main network interfaces: the physical ones (wired,
 * wireless, cellular), not loopback, bridges, container links or tunnels, whose traffic the
 * physical interfaces carry too and would count twice.
 */

/** The fields of systeminformation's network interface that tell a main interface. */
export interface InterfaceFacts {
  iface: string;
  internal: boolean;
  virtual: boolean;
}

/** Names container engines, bridges and tunnels give their interfaces, for kernels that do not mark them virtual. */
const NOT_MAIN = /^(lo|docker\d*|podman\d*|cni-|veth|br-|virbr|vnet|flannel|cali|cilium|weave|kube-|tun|tap|wg|zt)/;

export function isMainInterface(facts: InterfaceFacts): boolean {
  return !facts.internal && !facts.virtual && !NOT_MAIN.test(facts.iface);
}

export interface TrafficFigures {
  rxBytes: number;
  txBytes: number;
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
}

/** Turns counter readings into rates, over the time between two readings. */
export class TrafficRates {
  #last: { rxBytes: number; txBytes: number; atMs: number } | undefined;

  /**
   * The counters with the rates since the previous reading: 0 for the first, and for a
   * counter that went back (an interface gone, or reset), which is not traffic.
   */
  next(rxBytes: number, txBytes: number, atMs: number): TrafficFigures {
    const last = this.#last;
    this.#last = { rxBytes, txBytes, atMs };
    const seconds = last === undefined ? 0 : (atMs - last.atMs) / 1000;
    const perSecond = (now: number, before: number | undefined): number =>
      before === undefined || seconds <= 0 || now < before ? 0 : Math.round((now - before) / seconds);
    return { rxBytes, txBytes, rxBytesPerSecond: perSecond(rxBytes, last?.rxBytes), txBytesPerSecond: perSecond(txBytes, last?.txBytes) };
  }
}
