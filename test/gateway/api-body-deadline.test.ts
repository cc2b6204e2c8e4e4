/**
 * The approval API's request bodies: one declared (Content-Length) but never sent is refused
 * within seconds rather than held for the server's 60 s request timeout, and a caller that hangs
 * up half-way through its body is a client going away, not an unexpected error in the logs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { auth, useHarness, type Harness } from '../support/harness';

let h: Harness;
useHarness({ get: () => h, set: (next) => (h = next) });

/** Opens a raw connection, writes `head` (and nothing more), and collects what the gateway answers until it closes. */
function rawCall(head: string): { socket: net.Socket; answer: Promise<string> } {
  const { port } = new URL(h.baseUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => undefined);
  });
  socket.write(head);
  return { socket, answer };
}

const approveHead = (length: number): string =>
  `POST /maa/v1/requests/00000000-0000-4000-8000-000000000000/approve HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth('bob')}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('approval API bodies', () => {
  test('a body declared but never sent is refused within seconds, with our error shape, and the connection closed', async () => {
    const started = Date.now();
    const { answer } = rawCall(approveHead(40));
    const text = await answer;
    const took = Date.now() - started;
    assert.ok(took < 10_000, `answered after ${took} ms`);
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /connection: close/i);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'REQUEST_TIMEOUT');
    assert.match(body.error.message, /body did not arrive/);
  });

  test('a body that arrives in time is read as usual', async () => {
    const res = await h.http.post('/maa/v1/requests/00000000-0000-4000-8000-000000000000/approve').set('authorization', auth('bob')).send({ notes: 'ok' });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'REQUEST_NOT_FOUND');
  });

  test('a caller hanging up half-way through its body is not logged as an unexpected error', async () => {
    const { socket, answer } = rawCall(`${approveHead(40)}{"notes":`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(h.logs.filter((line) => line.includes('unexpected error')), []);
    assert.ok(h.logs.some((line) => line.includes('client closed the connection')), h.logs.join(''));
  });
});
