-- Health of a BackfillMonth from the state and kstatus conditions backfill-operator writes:
-- Progressing while Pending, Processing or waiting to Retry, Healthy when Completed, Degraded
-- when Failed (attempts used up) or stalled on a name taken by another object.
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

-- A month planned and not yet admitted has no status at all (the operator writes its first
-- status when its first attempt starts): it waits for the campaign to admit it.
if (obj.status == nil or next(obj.status) == nil) and obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Progressing"
  hs.message = "waiting for the campaign to admit this month"
  return hs
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

local state = nil
if obj.status ~= nil then
  state = obj.status.state
end
local ready = condition(obj.status, "Ready")
local stalled = condition(obj.status, "Stalled")

if state == "Completed" then
  hs.status = "Healthy"
  hs.message = text(ready, "Month completed")
  return hs
end

if state == "Failed" then
  hs.status = "Degraded"
  local message = "Month failed"
  if obj.status.lastError ~= nil and obj.status.lastError ~= "" then
    message = obj.status.lastError
  end
  hs.message = text(stalled, message)
  return hs
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = text(stalled, "Stalled: " .. tostring(stalled.reason))
  return hs
end

hs.status = "Progressing"
hs.message = text(ready, "Waiting for the operator to report status")
return hs
