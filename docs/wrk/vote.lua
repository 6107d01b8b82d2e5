-- wrk -s docs/wrk/vote.lua: PUT votes by the residents whose tokens are in
-- /tmp/tokens.txt (one a line), in turn, on the 15 demo measures, with a
-- random value. See docs/performance.md, "Votes under wrk".
local tokens = {}
for line in io.lines("/tmp/tokens.txt") do tokens[#tokens + 1] = line end
local n = 0
local bodies = {'{"value":-1}', '{"value":0}', '{"value":1}'}
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local tok = tokens[(n % #tokens) + 1]
  local path = "/api/v1/measures/" .. math.random(1, 15) .. "/vote"
  return wrk.format("PUT", path, {["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json"}, bodies[math.random(1, 3)])
end
