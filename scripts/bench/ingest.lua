-- wrk script for the ingest benchmark: every request carries BATCH readings, one per meter, for
-- the next half hour of that wrk thread's fleet, so no two requests repeat a reading.
-- FORMAT=csv posts to Nut Cracker (/api/v1/readings); FORMAT=line to InfluxDB (/write).
local format = os.getenv("FORMAT") or "csv"
local batch = tonumber(os.getenv("BATCH") or "1000")
local token = os.getenv("TOKEN") or ""
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  meters = {}
  for i = 0, batch - 1 do meters[i] = string.format("W%d-%05d", id, i) end
end

function request()
  counter = counter + 1
  local t = 1767225600 + counter * 1800
  local rows = {}
  if format == "line" then
    for i = 0, batch - 1 do
      rows[#rows + 1] = string.format("energy,meter=%s kwh=%.3f %d", meters[i], ((i * 37 + counter * 11) % 1000) / 1000, t)
    end
    return wrk.format("POST", "/write?db=bench&precision=s", { ["Content-Type"] = "text/plain" }, table.concat(rows, "\n"))
  end
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
  rows[1] = "meter_id,timestamp,kwh"
  for i = 0, batch - 1 do
    rows[#rows + 1] = string.format("%s,%s,%.3f", meters[i], stamp, ((i * 37 + counter * 11) % 1000) / 1000)
  end
  return wrk.format("POST", "/api/v1/readings?source=W" .. id, { ["Content-Type"] = "text/csv", ["Authorization"] = "Bearer " .. token },
                    table.concat(rows, "\n"))
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "errors": %d, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, bad, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
