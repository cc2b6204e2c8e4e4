/**
 * Loopback ports for the processes the demo, the tests and the benchmarks start themselves.
 */
import { createConnection, createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 right now (the OS picks it; another process could still take it).
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') server.close(() => resolve(address.port));
      else server.close(() => reject(new Error('the OS gave no port')));
    });
  });
}

/**
 * Whether something accepts TCP connections on this loopback port.
 * @example while (!(await canConnect(port))) await sleep(25);
 */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
