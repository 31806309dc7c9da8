// HTTP/1.1 over a plain socket, for what fetch hides: keep-alive, slow or broken clients,
// oversized heads, and garbage on the wire.

import net from 'node:net';

export class RawConnection {
  /** Connects to 127.0.0.1:port. */
  static open(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.openedAt = performance.now();
    this.closedAt = null;
    this.wake = null;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    socket.on('error', () => {});  // a reset shows as a close; writes may fail after it
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.closedAt = performance.now();
        this.notify();
        resolve(this.closedAt);
      });
    });
  }

  notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Writes and resolves when flushed; resolves to false if the peer has gone. */
  write(data) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(data, (error) => resolve(!error));
    });
  }

  /** True while the server has not closed the connection. */
  get isOpen() { return this.closedAt === null; }

  async waitForChange(deadline) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error('timed out waiting for the server');
    let timer;
    await new Promise((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, left);
    });
    clearTimeout(timer);
  }

  /**
   * Reads one response: {status, headers (lower-case names), body (Buffer), text}.
   * Rejects if the connection closes before a whole response arrived.
   */
  async readResponse({ timeoutMs = 10_000, head = false } = {}) {
    const deadline = performance.now() + timeoutMs;
    let end;
    while ((end = this.buffer.indexOf('\r\n\r\n')) < 0) {
      if (!this.isOpen) throw new Error(`connection closed before a response head (got "${this.buffer}")`);
      await this.waitForChange(deadline);
    }
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let rest = this.buffer.subarray(end + 4);
    let body;
    if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = lineEnd >= 0 ? parseInt(rest.subarray(0, lineEnd).toString(), 16) : NaN;
        if (lineEnd >= 0 && size === 0 && rest.indexOf('\r\n\r\n', lineEnd) >= 0) {
          rest = rest.subarray(rest.indexOf('\r\n\r\n', lineEnd) + 4);
          break;
        }
        if (lineEnd >= 0 && size > 0 && rest.length >= lineEnd + 2 + size + 2) {
          parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
          rest = rest.subarray(lineEnd + 2 + size + 2);
          continue;
        }
        if (!this.isOpen) throw new Error('connection closed inside a chunked body');
        this.buffer = rest;
        await this.waitForChange(deadline);
        rest = this.buffer;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      while (rest.length < length) {
        if (!this.isOpen) throw new Error('connection closed inside a body');
        this.buffer = rest;
        await this.waitForChange(deadline);
        rest = this.buffer;
      }
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    } else {
      // Body delimited by the end of the connection.
      while (this.isOpen) {
        this.buffer = rest;
        await this.waitForChange(deadline);
        rest = this.buffer;
      }
      body = rest;
      rest = Buffer.alloc(0);
    }
    this.buffer = rest;
    return { status, headers, body, text: body.toString('utf8') };
  }

  /** Resolves to true once the server closed the connection, false after timeoutMs. */
  async waitClosed(timeoutMs) {
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, false); });
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  destroy() { this.socket.destroy(); }
}

/** Sends `data` on a new connection and reads one response; the connection is then closed. */
export async function rawExchange(port, data, options) {
  const connection = await RawConnection.open(port);
  try {
    await connection.write(data);
    return await connection.readResponse(options);
  } finally {
    connection.destroy();
  }
}
