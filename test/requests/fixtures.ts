/**
 * Helpers for the store's tests: a new request with a consistent body hash, and a store on a
 * fresh deployment of the file's redis-server.
 */
import { createHash } from 'node:crypto';
import { createRequestStore, type RequestStoreOptions } from '../../src/requests/redis-store';
import type { NewRequest, RequestStore } from '../../src/requests/types';
import { randomDeployment, type TestRedis } from '../support/redis-server';

let objectCounter = 0;

/** A parked PATCH of a fresh object unless `objectKey` says otherwise. */
export function newRequest(overrides: { requestor?: string; groups?: string[]; approverGroups?: string[]; requiredApprovals?: number; objectKey?: string; body?: Buffer } = {}): NewRequest {
  const body = overrides.body ?? Buffer.from('{"displayName":"Contoso Portal"}');
  objectCounter++;
  return {
    requestor: { userId: overrides.requestor ?? 'alice', groups: overrides.groups ?? ['helpdesk'] },
    justification: 'Ticket INC-1234: fix the install command',
    call: {
      method: 'PATCH',
      path: '/deviceAppManagement/mobileApps/42',
      query: '',
      headers: { 'content-type': 'application/json' },
      bodySha256: createHash('sha256').update(body).digest('hex'),
      bodySize: body.length,
    },
    body,
    decision: {
      profileType: 'apps',
      objectKey: overrides.objectKey ?? `apps:/deviceappmanagement/mobileapps/${process.pid}-${objectCounter}`,
      operation: 'modify',
      policies: ['apps-require-second-admin'],
      approverGroups: overrides.approverGroups ?? ['app-approvers'],
      requiredApprovals: overrides.requiredApprovals ?? 1,
    },
  };
}

/** A store on its own deployment (hash tag), so tests never see each other's keys. */
export async function freshStore(redis: TestRedis, options: Partial<RequestStoreOptions> = {}): Promise<RequestStore & { deployment: string }> {
  const deployment = randomDeployment();
  const store = await createRequestStore({ url: redis.url, deployment, ...options });
  return Object.assign(store, { deployment });
}
