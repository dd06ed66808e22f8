-- GET /hello (no database): the HTTP ceiling of the stack.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

common.install(function(n, thread)
   return wrk.format("GET")
end)
