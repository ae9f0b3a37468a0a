// A private network for the fault tests, made of Linux network namespaces (iproute2): each node
// gets a namespace of its own whose only link is a veth pair to a bridge in a hub namespace.
// A partition moves some nodes' hub-side ends onto another bridge, so no packet has a path
// between the groups (the links are truly cut, not filtered by a port rule); healing moves them
// back. The test reaches each node's RPC over loopback through socat, which enters the node's
// namespace for every connection. Everything is made by the test and removed by destroy():
// no traffic leaves loopback and the namespaces.

import { execFileSync, spawn } from 'node:child_process';

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Whether this process may make network namespaces (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN). */
export function netnsAvailable() {
  const probe = `iotprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Make one namespace per name in `names`, all linked to bridge br0 of a hub namespace, with
 * addresses `<subnet>.1`, `.2`, ... in name order. Returns the namespaces and addresses, the
 * command prefix that runs a program inside a node's namespace, `forward` (expose a port of a
 * node's loopback on the host's loopback), `partition`, `heal` and `destroy`.
 */
export function makeNetns({ prefix, names, subnet = '10.213.0' }) {
  const tag = `${prefix}${process.pid}`;
  const hub = `${tag}-hub`;
  const ns = Object.fromEntries(names.map((n) => [n, `${tag}-${n}`]));
  const addr = Object.fromEntries(names.map((n, i) => [n, `${subnet}.${i + 1}`]));
  const forwarders = [];
  const made = [];
  const destroy = () => {
    for (const f of forwarders) f.kill('SIGKILL');
    for (const n of made.reverse()) {
      try { ip('netns', 'del', n); } catch { /* already gone */ }
    }
  };
  try {
    ip('netns', 'add', hub);
    made.push(hub);
    // One bridge per possible side of a partition.
    for (let b = 0; b < names.length; b += 1) {
      ip('-n', hub, 'link', 'add', `br${b}`, 'type', 'bridge');
      ip('-n', hub, 'link', 'set', `br${b}`, 'up');
    }
    for (const n of names) {
      ip('netns', 'add', ns[n]);
      made.push(ns[n]);
      ip('-n', hub, 'link', 'add', `h-${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[n]);
      ip('-n', hub, 'link', 'set', `h-${n}`, 'master', 'br0', 'up');
      ip('-n', ns[n], 'link', 'set', 'lo', 'up');
      ip('-n', ns[n], 'addr', 'add', `${addr[n]}/24`, 'dev', 'eth0');
      ip('-n', ns[n], 'link', 'set', 'eth0', 'up');
    }
  } catch (e) {
    destroy();
    throw new Error(`making the test's network namespaces failed: ${e.stderr ?? e.message}`);
  }

  return {
    ns,
    addr,
    /** The command prefix that runs a program in `name`'s namespace. */
    exec: (name) => ['ip', 'netns', 'exec', ns[name]],
    /** Serve `name`'s loopback `port` on the host's 127.0.0.1:`port`. */
    forward(name, port) {
      const target = `EXEC:ip netns exec ${ns[name]} socat STDIO TCP\\:127.0.0.1\\:${port}`;
      const f = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, target], { stdio: 'ignore' });
      forwarders.push(f);
      return f;
    },
    /** Cut the network into `groups` (arrays of names): only nodes of one group reach each other. */
    partition(...groups) {
      groups.forEach((group, b) => group.forEach((n) => ip('-n', hub, 'link', 'set', `h-${n}`, 'master', `br${b}`)));
    },
    /** Join every node to one bridge again. */
    heal() {
      for (const n of names) ip('-n', hub, 'link', 'set', `h-${n}`, 'master', 'br0');
    },
    destroy,
  };
}
