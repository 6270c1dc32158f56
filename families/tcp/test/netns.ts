/**
 * Two private network namespaces joined by a veth pair, for the tcp and net families' ground-truth tests: only
 * these namespaces (and their loopback) carry the tests' traffic, so nothing else on the host can disturb the
 * kernel's counters (/proc/net/snmp, /proc/net/netstat, /sys/class/net/DEV/statistics) read inside them. IPv6 is
 * off in both (no router solicitations, DAD or MLD reports on the veth). Names are unique per test process, so
 * parallel runs do not clash; cleanup() deletes both namespaces (and with them the veth).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsPair {
  /** namespace names (/run/netns/<name>) */
  client: string;
  server: string;
  clientAddr: string;
  serverAddr: string;
  /** the veth end in each namespace */
  clientDev: string;
  serverDev: string;
  /** run a command inside a namespace; its stdout */
  exec(ns: string, cmd: string[]): string;
  /** the namespace's inode number (tcp_events.netns, net_packets.netns) */
  inode(ns: string): number;
  /** /proc/net/snmp and /proc/net/netstat of the namespace, as 'Tcp.RetransSegs', 'TcpExt.ListenDrops', ... */
  counters(ns: string): Record<string, number>;
  /** /sys/class/net/DEV/statistics/* of a device in the namespace */
  devStats(ns: string, dev: string): Record<string, number>;
  cleanup(): void;
}

const ip = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** the two-line tables of /proc/net/snmp and /proc/net/netstat ("Tcp: a b c" then "Tcp: 1 2 3") */
function parseCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.trim().split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [group, ...names] = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/).slice(1);
    names.forEach((n, k) => {
      out[`${group.replace(/:$/, '')}.${n}`] = Number(values[k]);
    });
  }
  return out;
}

export function netnsPair(tag: string): NetnsPair {
  const id = `${process.pid}${randomBytes(3).toString('hex')}`;
  const client = `kt-${tag}-c-${id}`,
    server = `kt-${tag}-s-${id}`;
  const exec = (ns: string, cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' });
  const pair: NetnsPair = {
    client,
    server,
    clientAddr: '10.77.0.1',
    serverAddr: '10.77.0.2',
    clientDev: 'ktv0',
    serverDev: 'ktv1',
    exec,
    inode: (ns) => Number(exec(ns, ['stat', '-L', '-c', '%i', '/proc/self/ns/net']).trim()),
    counters: (ns) => parseCounters(exec(ns, ['cat', '/proc/net/snmp', '/proc/net/netstat'])),
    devStats: (ns, dev) => {
      const names = exec(ns, ['ls', `/sys/class/net/${dev}/statistics`])
        .trim()
        .split('\n');
      const values = exec(ns, ['cat', ...names.map((n) => `/sys/class/net/${dev}/statistics/${n}`)])
        .trim()
        .split('\n');
      return Object.fromEntries(names.map((n, i) => [n, Number(values[i])]));
    },
    cleanup: () => {
      for (const ns of [client, server]) {
        try {
          ip(['netns', 'delete', ns]);
        } catch {
          // not created, or already gone
        }
      }
    },
  };
  try {
    for (const ns of [client, server]) {
      ip(['netns', 'add', ns]);
      exec(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    ip(['link', 'add', pair.clientDev, 'netns', client, 'type', 'veth', 'peer', 'name', pair.serverDev, 'netns', server]);
    ip(['-n', client, 'addr', 'add', `${pair.clientAddr}/24`, 'dev', pair.clientDev]);
    ip(['-n', server, 'addr', 'add', `${pair.serverAddr}/24`, 'dev', pair.serverDev]);
    ip(['-n', client, 'link', 'set', pair.clientDev, 'up']);
    ip(['-n', server, 'link', 'set', pair.serverDev, 'up']);
  } catch (e) {
    pair.cleanup();
    throw e;
  }
  return pair;
}
