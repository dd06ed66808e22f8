-- Shared by the intake scripts: a monotonic clock, the send deadline and the closing report.
--
-- wrk stops at -d and abandons the requests in flight, which the server still completes (and commits).
-- So the scripts stop *sending* at BENCH_SECONDS (or after BENCH_MAX_REQUESTS), bench/intake.py gives
-- wrk a grace period after that, every request sent is answered and counted, and the database can be
-- checked against the count exactly. The rate is completed responses / (last answer - first send).
-- Once the last answer is in, the script ends wrk at once (SIGINT, which wrk handles as "stop now"),
-- so the grace period costs nothing. bench/intake.py always runs one thread (-t1).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
int getpid(void);
int kill(int pid, int sig);
]]
local timespec = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1
local SIGINT = 2

local common = {}

function common.now()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local threads = {}

-- Install wrk's hooks around build(n), which returns the n-th request of this thread.
function common.install(build)
   local seconds = tonumber(os.getenv("BENCH_SECONDS") or "10")
   local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "0")

   function setup(thread)
      thread:set("thread_number", #threads + 1)
      table.insert(threads, thread)
   end

   function init(args)
      issued, ok, bad, statuses, verified = 0, 0, 0, "", false
      started, finished, deadline = nil, nil, nil
   end

   function request()
      -- wrk calls request() once on thread 1 to check the script before it starts: not a request sent.
      if thread_number == 1 and not verified then
         verified = true
         return build(0, thread_number)
      end
      if started == nil then
         started = common.now()
         deadline = started + seconds
      end
      issued = issued + 1
      return build(issued, thread_number)
   end

   function delay()
      -- Past the deadline (or the count), send nothing more: the connection idles until wrk stops.
      if (deadline ~= nil and common.now() >= deadline) or (max_requests > 0 and issued >= max_requests) then
         return 3600 * 1000
      end
      return 0
   end

   function response(status, headers, body)
      finished = common.now()
      if status >= 200 and status < 400 then
         ok = ok + 1
      else
         bad = bad + 1
         if #statuses < 200 then
            statuses = statuses .. tostring(status) .. " "
         end
      end
      if finished >= deadline and ok + bad == issued then
         -- Everything sent is answered: stop wrk now rather than idle until -d runs out.
         wrk.thread:stop()
         ffi.C.kill(ffi.C.getpid(), SIGINT)
      end
   end

   function done(summary, latency, requests)
      local t_issued, t_ok, t_bad, first, last, codes = 0, 0, 0, nil, nil, ""
      for _, thread in ipairs(threads) do
         t_issued = t_issued + thread:get("issued")
         t_ok = t_ok + thread:get("ok")
         t_bad = t_bad + thread:get("bad")
         codes = codes .. thread:get("statuses")
         local s, f = thread:get("started"), thread:get("finished")
         if s ~= nil and (first == nil or s < first) then first = s end
         if f ~= nil and (last == nil or f > last) then last = f end
      end
      local window = (first and last) and (last - first) or 0
      local e = summary.errors
      io.write(string.format(
         'BENCH_RESULT {"issued": %d, "ok": %d, "bad": %d, "bad_statuses": "%s", "window_s": %.6f, '
            .. '"wrk_requests": %d, "wrk_duration_us": %d, "errors": {"connect": %d, "read": %d, '
            .. '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, '
            .. '"p99": %d, "max": %d, "mean": %.1f}}\n',
         t_issued, t_ok, t_bad, codes, window, summary.requests, summary.duration,
         e.connect, e.read, e.write, e.status, e.timeout,
         latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
   end
end

return common
