-- POST a complaint as JSON (Aduflow's /api/v1/complaints, the bare endpoint's /complaints), every body distinct.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local tag = os.getenv("BENCH_TAG") or "run"
local categories = {"jalan-rusak", "sampah", "lampu-jalan", "air-pdam", "drainase-banjir"}
local desas = {"Aan", "Gelgel", "Kamasan", "Tojan", "Akah"}
local headers = {["Content-Type"] = "application/json"}

common.install(function(n, thread)
   local id = string.format("%s-%d-%d", tag, thread, n)
   local body = string.format(
      '{"title": "Keluhan warga %s", "description": "Laporan nomor %s: jalan berlubang dan sampah menumpuk '
         .. 'di depan balai banjar sejak minggu lalu.", "category": "%s", "location": {"desa": "%s"}, '
         .. '"reporter": {"name": "Warga %s", "email": "warga-%s@example.org"}}',
      id, id, categories[n % #categories + 1], desas[n % #desas + 1], id, id)
   return wrk.format("POST", nil, headers, body)
end)
