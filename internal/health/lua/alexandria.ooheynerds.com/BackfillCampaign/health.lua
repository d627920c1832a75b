-- Health of a BackfillCampaign from the kstatus conditions backfill-operator writes.
-- A campaign runs for weeks: Progressing while months run, Healthy once all are finished (or the
-- plan is computed in Plan mode), Suspended while paused or waiting for a manual approval,
-- Degraded when it cannot go on by itself (a phase gate failed, month names are taken).
local hs = {}

local function condition(status, conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local generation = obj.metadata.generation
local observed = 0
if obj.status ~= nil and obj.status.observedGeneration ~= nil then
  observed = obj.status.observedGeneration
end
if generation ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = condition(obj.status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = text(stalled, "Stalled: " .. tostring(stalled.reason))
  return hs
end

local ready = condition(obj.status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = text(ready, "Campaign is ready")
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = text(ready, "Campaign is suspended")
  return hs
end

if ready ~= nil and ready.reason == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = text(ready, "Waiting for a phase to be approved in spec.approvedPhases")
  return hs
end

hs.status = "Progressing"
hs.message = text(ready, "Waiting for the operator to report status")
return hs
