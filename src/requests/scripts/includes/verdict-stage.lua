--[[
  Stages and one verdict per approver (docs/policy.md "Stages", "Veto and required reasons").
  verdictStage(decisionJson, requiredApprovals, approvalsText, rejectionsText, actor, actorGroupsJson)
  reads the request's stored decision (its stages were fixed at park; a hash without one is read as
  one stage of the hash's requiredApprovals) and verdict lines, and returns:
    { stage = name or false, required = approvals the current stage (or the request) needs,
      approved = approvals already given in it, last = whether it is the last stage,
      majority = whether the decision says rejectPolicy majority,
      refusal = false, or -5 (actor approved before), -16 (actor rejected before),
                -15 (a staged request whose current stage's groups do not include the actor),
      outsideStage = whether that last holds, whatever the refusal }
  The current stage is the first whose approvals (lines tagged with its name) are short of its
  requiredApprovals. An unstaged request is one stage without a name, as before stages existed.
]]
local function verdictStage(decisionJson, requiredApprovals, approvalsText, rejectionsText, actor, actorGroupsJson)
  local decision = {}
  if decisionJson then decision = cjson.decode(decisionJson) end
  local result = { stage = false, required = tonumber(requiredApprovals), approved = 0, last = true,
    majority = decision['rejectPolicy'] == 'majority', refusal = false, outsideStage = false }
  local byStage = {}
  local total = 0
  for line in string.gmatch(approvalsText or '', '[^\n]+') do
    local verdict = cjson.decode(line)
    if verdict['userId'] == actor then result.refusal = -5 end
    local stage = verdict['stage'] or ''
    byStage[stage] = (byStage[stage] or 0) + 1
    total = total + 1
  end
  for line in string.gmatch(rejectionsText or '', '[^\n]+') do
    if cjson.decode(line)['userId'] == actor and not result.refusal then result.refusal = -16 end
  end
  local stages = decision['stages']
  if type(stages) ~= 'table' or #stages == 0 then
    result.approved = total
    return result
  end
  local current = #stages
  for i, stage in ipairs(stages) do
    if (byStage[stage['name']] or 0) < tonumber(stage['requiredApprovals']) then current = i; break end
  end
  local stage = stages[current]
  result.stage = stage['name']
  result.required = tonumber(stage['requiredApprovals'])
  result.approved = byStage[stage['name']] or 0
  result.last = current == #stages
  local member = false
  for _, g in ipairs(cjson.decode(actorGroupsJson)) do
    for _, allowed in ipairs(stage['approverGroups']) do
      if g == allowed then member = true end
    end
  end
  result.outsideStage = not member
  if not result.refusal and not member then result.refusal = -15 end
  return result
end
