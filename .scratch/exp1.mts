import { startCluster, startSentinel } from '/work/wt-topo/test/support/redis-topology';
import { createCluster, createSentinel } from 'redis';
const t0 = Date.now();
const c = await startCluster();
console.log('cluster up', Date.now() - t0, c.nodes);
const cl = createCluster({ rootNodes: c.nodes.map((n) => ({ url: `redis://${n}` })), defaults: { disableOfflineQueue: true, socket: { connectTimeout: 2000 } } });
cl.on('error', (e) => console.log('cluster error', e.message));
await cl.connect();
console.log('isReady', cl.isReady);
const k = 'maa:{x}:a';
console.log(await cl.sendCommand(k, false, ['SET', k, '1']));
console.log('wait', await cl.sendCommand(k, false, ['WAIT', '1', '500']));
await cl.close();
await c.close();
const t1 = Date.now();
const s = await startSentinel();
console.log('sentinel up', Date.now() - t1, s.sentinels);
const se = createSentinel({ name: s.masterName, sentinelRootNodes: s.sentinels.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })), nodeClientOptions: { disableOfflineQueue: true } });
se.on('error', (e) => console.log('sentinel error', e.message));
se.on('topology-change', (e) => console.log('topo', e.type, e.node));
await se.connect();
console.log(await se.sendCommand(false, ['SET', k, '1']));
console.log('wait', await se.sendCommand(false, ['WAIT', '1', '500']));
await s.primary.kill();
const tk = Date.now();
for (let i = 0; i < 80; i++) {
  try { const r = await Promise.race([se.sendCommand(false, ['SET', k, String(i)]), new Promise((_, j) => setTimeout(() => j(new Error('timeout')), 300))]); console.log(Date.now() - tk, 'ok', r, se.isReady, se.getMasterNode()); if (i > 5 && r === 'OK') break; }
  catch (e) { console.log(Date.now() - tk, 'err', (e as Error).message, se.isReady); }
  await new Promise((r) => setTimeout(r, 200));
}
console.log('current', await s.currentPrimary());
await se.close();
await s.close();
