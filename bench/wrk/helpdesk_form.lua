-- POST django-helpdesk's public submit form, the CSRF cookie fetched once (BENCH_CSRF) sent as cookie and field.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local tag = os.getenv("BENCH_TAG") or "run"
local csrf = os.getenv("BENCH_CSRF")
local queue = os.getenv("BENCH_QUEUE") or "1"
local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "csrftoken=" .. csrf}

common.install(function(n, thread)
   local id = string.format("%s-%d-%d", tag, thread, n)
   local body = string.format(
      "csrfmiddlewaretoken=%s&queue=%s&title=Keluhan+warga+%s&body=Laporan+nomor+%s%%3A+jalan+berlubang+dan+"
         .. "sampah+menumpuk+di+depan+balai+banjar+sejak+minggu+lalu.&priority=3&submitter_email=warga-%s%%40example.org",
      csrf, queue, id, id, id)
   return wrk.format("POST", nil, headers, body)
end)
