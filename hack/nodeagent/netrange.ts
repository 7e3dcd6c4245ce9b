/**
 * The one private range the test harness uses. Every pod IP, real (node agent) or fake (KWOK), and the
 * control plane's service range lie inside it, and the host reaches it only through the harness bridge,
 * so no packet addressed into it can leave the machine.
 */
export const HARNESS_NETWORK = {
  cidr: '10.213.0.0/16',
  prefixLength: 16,
  bridgeName: 'goassist-br0',
  /** The bridge's own address: the node's InternalIP and the pods' gateway to the host. */
  bridgeIp: '10.213.0.1',
  /** Node agents take one /24 each: 10.213.<slot>.0/24, slot 1..63. */
  agentSlotMin: 1,
  agentSlotMax: 63,
  /** KWOK's fake pod IPs (10.213.128.0 - 10.213.191.255). */
  kwokPodCidr: '10.213.128.0/18',
  /** kube-apiserver --service-cluster-ip-range; the first address is the `kubernetes` Service. */
  serviceCidr: '10.213.240.0/20',
  firstServiceIp: '10.213.240.1',
} as const;

/** True when `ip` is a dotted IPv4 address inside HARNESS_NETWORK.cidr. */
export function isInHarnessNetwork(ip: string): boolean {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return false;
  return parts[0] === 10 && parts[1] === 213;
}
