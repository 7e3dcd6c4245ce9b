-- Argo CD health check for goassist.io/GoAssistDeployment.
-- Install: argocd-cm data key `resource.customizations.health.goassist.io_GoAssistDeployment`
-- (see config/argocd/argocd-cm-patch.yaml). Argo CD runs it on Lua 5.1 with the object as `obj`.
local hs = {}

local function condition(name)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == name then
      return c
    end
  end
  return nil
end

local generation = obj.metadata and obj.metadata.generation or nil
if obj.status == nil or obj.status.observedGeneration == nil
    or (generation ~= nil and obj.status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end

local ready = condition("Ready")
local degraded = condition("Degraded")
local progressing = condition("Progressing")

if obj.status.phase == "Invalid" or (degraded ~= nil and degraded.status == "True") then
  hs.status = "Degraded"
  hs.message = (degraded and degraded.message) or obj.status.message or "Invalid spec"
  return hs
end
if obj.spec ~= nil and obj.spec.paused == true then
  hs.status = "Suspended"
  hs.message = obj.status.message or "Paused"
  return hs
end
if ready ~= nil and ready.status == "True" and (progressing == nil or progressing.status ~= "True") then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
hs.status = "Progressing"
hs.message = (progressing and progressing.message) or (ready and ready.message) or obj.status.message or "Reconciling"
return hs
