-- Health of a BackfillBudget from the kstatus conditions backfill-operator writes.
-- A budget that has spent its key's day is doing its job: Healthy, saying when admissions
-- resume. Degraded only when it cannot govern its key by itself (another budget names the
-- same key).
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
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = text(ready, "Waiting for the operator to account the key's day")
  return hs
end

-- Exhausted (True or False) says the day's numbers; a budget without it yet says what Ready says.
hs.status = "Healthy"
hs.message = text(condition(obj.status, "Exhausted"), text(ready, "Accounting the key's day"))
return hs
