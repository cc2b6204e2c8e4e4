/** The access policies in force: who must approve what, and which routes each one protects. */
import type { AccessPolicyResource } from './api-types';
import type { ConsoleContext } from './context';
import { breakAfterSlashes, h, replaceChildren } from './dom';
import { operationLabel } from './format';

export class AccessPoliciesView {
  readonly element: HTMLElement;
  private readonly list = h('div', { class: 'policy-list' });

  constructor(private readonly context: ConsoleContext) {
    this.element = h(
      'section',
      { class: 'list-panel policies', 'aria-labelledby': 'heading-policies' },
      h(
        'header',
        { class: 'panel-header' },
        h('div', {}, h('h1', { id: 'heading-policies', tabindex: -1 }, 'Access policies'), h('p', { class: 'intro' }, 'Each policy protects one profile type: a change to it waits until enough members of an approver group approve.')),
      ),
      this.list,
    );
  }

  async load(): Promise<void> {
    try {
      const { items } = await this.context.api.accessPolicies();
      replaceChildren(this.list, items.length ? items.map(policyCard) : h('p', { class: 'list-message' }, 'No access policies are configured: nothing is protected.'));
    } catch (error) {
      replaceChildren(this.list, h('p', { class: 'list-message' }, 'The access policies could not be loaded.'));
      this.context.reportError(error, 'Loading access policies');
    }
  }
}

function policyCard(policy: AccessPolicyResource): HTMLElement {
  const id = `policy-${policy.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return h(
    'article',
    { class: 'policy-card', 'aria-labelledby': id, 'data-policy': policy.name },
    h(
      'header',
      { class: 'policy-header' },
      h('h2', { id }, policy.name),
      h('span', { class: `badge ${policy.enabled ? 'badge-approved' : 'badge-canceled'}` }, policy.enabled ? 'Enabled' : 'Disabled'),
    ),
    policy.description ? h('p', { class: 'policy-description' }, policy.description) : null,
    h(
      'dl',
      { class: 'facts facts-inline' },
      h('dt', {}, 'Profile type'),
      h('dd', {}, h('code', { class: 'profile-type' }, policy.profileType)),
      h('dt', {}, 'Approver groups'),
      h('dd', {}, h('span', { class: 'chips' }, policy.approverGroups.map((g) => h('span', { class: 'chip' }, g)))),
      h('dt', {}, 'Required approvals'),
      h('dd', {}, String(policy.requiredApprovals)),
    ),
    h(
      'table',
      { class: 'routes' },
      h('caption', {}, `Protected routes (${policy.routes.length})`),
      h('thead', {}, h('tr', {}, ['Method', 'Path', 'Operation'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        policy.routes.map((route) =>
          h('tr', {}, h('td', {}, h('span', { class: `method method-${route.method.toLowerCase().replace(/[^a-z]/g, '')}` }, route.method)), h('td', {}, h('code', {}, breakAfterSlashes(route.path))), h('td', {}, operationLabel(route.operation))),
        ),
      ),
    ),
  );
}
