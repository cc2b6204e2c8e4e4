/** The process logger never writes a token or a cookie, wherever it sits in what is logged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/gateway/logger';

test('tokens and cookies are redacted in every place they could sit', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.info({ authorization: 'Bearer secret-1', token: 'secret-2' }, 'top level');
  logger.info({ headers: { authorization: 'Bearer secret-3', cookie: 'session=secret-4', 'set-cookie': 'secret-5' } }, 'headers');
  logger.info({ req: { headers: { authorization: 'Bearer secret-6' } }, upstream: { headers: { cookie: 'secret-7' }, token: 'secret-8' } }, 'nested');
  assert.equal(lines.length, 3);
  for (const line of lines) {
    assert.doesNotMatch(line, /secret-\d/);
    assert.match(line, /\[redacted\]/);
  }
});
