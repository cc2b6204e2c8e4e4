/**
 * Where a staged request stands (docs/policy.md "Stages"): the same reading of the stored decision
 * and approvals as the approve and reject scripts (includes/verdict-stage.lua) make atomically, for
 * the request resource, the console and the policy's authorize input.
 */
import type { PolicyStage } from '../policy/types';
import type { ApprovalRequest } from './types';

export interface StageProgress {
  name: string;
  approverGroups: string[];
  requiredApprovals: number;
  /** Who approved in this stage, in order. */
  approvedBy: string[];
  /** Approvals still missing in this stage. */
  remainingApprovals: number;
  /** `done` once its approvals are in; `current` while it waits; `waiting` until the ones before are done. */
  state: 'done' | 'current' | 'waiting';
}

/**
 * The stages of a staged request with their progress, and the current one (null once the last is
 * done, or when the request no longer waits); null for a one-stage request.
 * @example stageProgress(request)?.current // 'security'
 */
export function stageProgress(request: ApprovalRequest): { current: string | null; stages: StageProgress[] } | null {
  const stages: PolicyStage[] | undefined = request.decision.stages;
  if (!stages || stages.length === 0) return null;
  let current: string | null = null;
  const progress = stages.map((stage): StageProgress => {
    const approvedBy = request.approvals.filter((a) => a.stage === stage.name).map((a) => a.userId);
    const remainingApprovals = Math.max(0, stage.requiredApprovals - approvedBy.length);
    let state: StageProgress['state'] = 'done';
    if (remainingApprovals > 0) state = current === null && request.status === 'needsApproval' ? 'current' : 'waiting';
    if (state === 'current') current = stage.name;
    return { name: stage.name, approverGroups: stage.approverGroups, requiredApprovals: stage.requiredApprovals, approvedBy, remainingApprovals, state };
  });
  return { current, stages: progress };
}

/** The current stage of a staged request that waits for approval, else undefined. */
export function currentStage(request: ApprovalRequest): StageProgress | undefined {
  const progress = stageProgress(request);
  return progress?.stages.find((s) => s.name === progress.current);
}
