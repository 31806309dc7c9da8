// What Linux's /proc tells about a server under test from outside: its memory, and whether it
// still holds a given TCP connection (to see a disconnect while the client is not reading, when
// the client's own socket cannot tell yet).

import fs from 'node:fs';

/** The resident set size of process `pid`, in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB$/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Samples rssBytes(pid) every `intervalMs` until stop(), which resolves to {first, peak, last}. */
export function sampleRss(pid, intervalMs = 50) {
  const first = rssBytes(pid);
  let peak = first;
  let last = first;
  const timer = setInterval(() => {
    try {
      last = rssBytes(pid);
      peak = Math.max(peak, last);
    } catch {
      // the process is gone; the test will say so elsewhere
    }
  }, intervalMs);
  return {
    get peak() { return peak; },
    stop() {
      clearInterval(timer);
      return { first, peak, last };
    },
  };
}

const hexPort = (port) => port.toString(16).toUpperCase().padStart(4, '0');
const LOOPBACK = '0100007F';  // 127.0.0.1 as /proc/net/tcp writes it

/** The inode of the server side of the loopback connection serverPort <-> clientPort, or null. */
function serverSocketInode(serverPort, clientPort) {
  const local = `${LOOPBACK}:${hexPort(serverPort)}`;
  const remote = `${LOOPBACK}:${hexPort(clientPort)}`;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[2] === remote) {
      const inode = fields[9];
      return inode && inode !== '0' ? inode : null;  // 0: orphaned, no process owns it any more
    }
  }
  return null;
}

/**
 * True while process `pid` has a file descriptor on the server side of the loopback TCP
 * connection between its `serverPort` and a client's `clientPort`.
 */
export function holdsConnection(pid, serverPort, clientPort) {
  const inode = serverSocketInode(serverPort, clientPort);
  if (inode === null) return false;
  const target = `socket:[${inode}]`;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
    } catch {
      // closed while we looked
    }
  }
  return false;
}
