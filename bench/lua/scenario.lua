-- One wrk script for every scenario: wrk -s scenario.lua URL -- TARGET_DIR SCENARIO [SIZE]
-- Each request picks a random session (and its context, item and key) from the generated
-- targets, so the server never answers the same request twice in a row. done() prints one
-- JSON line that bench/run.py parses.

local auth = { platforms = {}, apps = {} }
local targets = {}
local scenario, size = "list", 0
local bodies = 0

local function load(dir)
  for line in io.lines(dir .. "/auth.tsv") do
    local kind, i, header = line:match("^(%S+)\t(%d+)\t(.+)$")
    auth[kind][tonumber(i)] = header
  end
  for line in io.lines(dir .. "/targets.tsv") do
    local p, s, c, a, n, total = line:match("^(%d+)\t(%S+)\t(%S+)\t(%d+)\t(%d+)\t(%d+)$")
    local target = { p = tonumber(p), session = s, context = c, app = tonumber(a),
                     count = tonumber(n), total = tonumber(total) }
    -- The second page only exists for sessions with more than one page of items.
    if scenario ~= "page2" or target.total > 50 then
      targets[#targets + 1] = target
    end
  end
end

function init(args)
  scenario = args[2] or "list"
  size = tonumber(args[3] or "0")
  load(args[1])
  math.randomseed(os.time() * 1000 + os.clock() * 1000000)
end

local function item_body(t)
  local n = math.random(0, t.count - 1)
  local position = math.random(1, 3000)
  return string.format(
    '{"content_id":"content%06d","media_type":"tv_episode","action":"up_next_continue",' ..
    '"title":"Return Of The Storm King","description":"%s","season":2,"episode":%d,' ..
    '"poster_art_uri":"https://images.example.com/posters/%s/%d/poster-1280x720.jpg",' ..
    '"poster_art_aspect_ratio":"aspect_ratio_16_9","duration":3600,"position":%d}',
    n, string.rep("a quiet story of the river and the night ", 8), n % 24 + 1, t.context, n,
    position)
end

function request()
  local t = targets[math.random(#targets)]
  local platform = { ["Authorization"] = auth.platforms[t.p] }
  local base = "/v1/sessions/upnext/" .. t.session
  if scenario == "list" then
    return wrk.format("GET", base, platform)
  elseif scenario == "page2" then
    return wrk.format("GET", base .. "?next_key=50", platform)
  elseif scenario == "context" then
    return wrk.format("GET", base .. "/" .. t.context, platform)
  elseif scenario == "contexts" then
    return wrk.format("GET", base .. "/contexts", platform)
  elseif scenario == "hide" then
    local action = (math.random(2) == 1) and "hide" or "unhide"
    local body = string.format('{"content_id":"content%06d","action":"%s"}',
                               math.random(0, t.count - 1), action)
    platform["Content-Type"] = "application/json"
    return wrk.format("PUT", base .. "/" .. t.context, platform, body)
  elseif scenario == "put" then
    local headers = { ["Authorization"] = auth.apps[t.app], ["Content-Type"] = "application/json" }
    return wrk.format("PUT", "/v1/contexts/upnext/" .. t.context, headers, item_body(t))
  elseif scenario == "ceiling" then
    return wrk.format("GET", "/" .. size, platform)
  end
  error("unknown scenario " .. scenario)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.status, e.connect, e.read,
    e.timeout))
end
