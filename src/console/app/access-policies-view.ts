/** The access policies in force: who must approve what, and which routes each one protects. */
import { html } from 'htm/preact';
import type { AccessPolicyResource } from './api-types';
import { useConsole } from './context';
import { operationLabel } from './format';
import { PathText } from './path-text';
import { useHeading } from './use-heading';
import { useLoaded } from './use-loaded';

export function AccessPolicies() {
  const { api } = useConsole();
  const { data, error } = useLoaded('policies', () => api.accessPolicies(), 'Loading access policies');
  const heading = useHeading('Access policies');
  let content;
  if (error) content = html`<p class="list-message">The access policies could not be loaded.</p>`;
  else if (data && data.items.length === 0) content = html`<p class="list-message">No access policies are configured: nothing is protected.</p>`;
  else content = data?.items.map((policy) => html`<${PolicyCard} key=${policy.name} policy=${policy} />`);
  return html`
    <section class="list-panel policies" aria-labelledby="heading-policies">
      <header class="panel-header">
        <div>
          <h1 id="heading-policies" tabindex="-1" ref=${heading}>Access policies</h1>
          <p class="intro">Each policy protects one profile type: a change to it waits until enough members of an approver group approve.</p>
        </div>
      </header>
      <div class="policy-list">${content}</div>
    </section>
  `;
}

function PolicyCard({ policy }: { policy: AccessPolicyResource }) {
  const id = `policy-${policy.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return html`
    <article class="policy-card" aria-labelledby=${id} data-policy=${policy.name}>
      <header class="policy-header">
        <h2 id=${id}>${policy.name}</h2>
        <span class="badge ${policy.enabled ? 'badge-approved' : 'badge-canceled'}">${policy.enabled ? 'Enabled' : 'Disabled'}</span>
      </header>
      ${policy.description && html`<p class="policy-description">${policy.description}</p>`}
      <dl class="facts facts-inline">
        <dt>Profile type</dt>
        <dd><code class="profile-type">${policy.profileType}</code></dd>
        <dt>Approver groups</dt>
        <dd><span class="chips">${policy.approverGroups.map((g) => html`<span class="chip">${g}</span>`)}</span></dd>
        <dt>Required approvals</dt>
        <dd>${policy.requiredApprovals}</dd>
        ${policy.stages &&
        html`<dt>Stages, in order</dt>
          <dd>
            <ol class="stages">${policy.stages.map((s) => html`<li data-stage-name=${s.name}><strong>${s.name}</strong>: ${s.requiredApprovals} from ${s.approverGroups.join(', ')}</li>`)}</ol>
          </dd>`}
        ${conditionRows(policy).map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}
        ${policy.changeWindows &&
        html`<dt>Change windows</dt>
          <dd data-change-windows>${policy.changeWindows.map((w) => html`<span class="chip">${w.days.join(', ')} ${w.from}–${w.to} ${w.timeZone}</span> `)}</dd>`}
      </dl>
      <table class="routes">
        <caption>Protected routes (${policy.routes.length})</caption>
        <thead><tr>${['Method', 'Path', 'Operation'].map((t) => html`<th scope="col">${t}</th>`)}</tr></thead>
        <tbody>
          ${policy.routes.map(
            (route) => html`
              <tr>
                <td><span class="method method-${route.method.toLowerCase().replace(/[^a-z]/g, '')}">${route.method}</span></td>
                <td><code><${PathText} path=${route.path} /></code></td>
                <td>${operationLabel(route.operation)}</td>
              </tr>
            `,
          )}
        </tbody>
      </table>
    </article>
  `;
}

/** The policy's change-control keys as label and text, only those it has (docs/policy.md). */
function conditionRows(policy: AccessPolicyResource): [string, string][] {
  const rows: [string, string | undefined][] = [
    ['Reject', policy.rejectPolicy === 'majority' ? 'by a majority of the current stage' : undefined],
    ['Justification', policy.justification === 'required' ? 'required' : undefined],
    ['Reject notes', policy.rejectNotes === 'required' ? 'required' : undefined],
    ['When methods', policy.when?.methods?.join(', ')],
    ['When operations', policy.when?.operations?.join(', ')],
    ['When the body sends', policy.when?.bodyFields?.join(', ')],
    ['Applies to', policy.appliesTo?.join(', ')],
    ['Exempt', policy.exempt?.join(', ')],
    ['Open requests expire after', policy.expiresAfterMs === undefined ? undefined : duration(policy.expiresAfterMs)],
    ['Approved requests expire after', policy.approvedExpiresAfterMs === undefined ? undefined : duration(policy.approvedExpiresAfterMs)],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== undefined);
}

function duration(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm']];
  const [size, unit] = units.find(([u]) => ms % u === 0) ?? [1000, 's'];
  return `${ms / size}${unit}`;
}
