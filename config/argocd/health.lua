-- Argo CD health check for goassist.io/GoAssistDeployment (Lua 5.1, as Argo CD runs it).
-- Install: argocd-cm data key `resource.customizations.health.goassist.io_GoAssistDeployment`
-- (see docs/operator.md). It trusts only a status written for the current generation.
local hs = { status = "Progressing", message = "Waiting for the operator" }
if obj.status == nil then
  return hs
end
local st = obj.status
if obj.metadata ~= nil and obj.metadata.generation ~= nil and st.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
local ready, progressing, degraded
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "Ready" then ready = c end
    if c.type == "Progressing" then progressing = c end
    if c.type == "Degraded" then degraded = c end
  end
end
if st.phase == "Invalid" or (degraded ~= nil and degraded.status == "True") then
  hs.status = "Degraded"
  hs.message = (degraded and degraded.message) or st.message or "Degraded"
  return hs
end
if st.phase == "Paused" or (progressing ~= nil and progressing.reason == "Paused") then
  hs.status = "Suspended"
  hs.message = (progressing and progressing.message) or st.message or "Paused"
  return hs
end
if ready ~= nil and ready.status == "True" and (progressing == nil or progressing.status ~= "True") then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
hs.status = "Progressing"
hs.message = st.message or (ready and ready.message) or "Progressing"
return hs
