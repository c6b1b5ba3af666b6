-- MX problem (or a blocked port 25): both MX hosts resolve (AAAA only) to addresses that drop
-- every packet, so each connect times out; DNS and the HTTPS policy host work.
-- Two such domains in one run make the self-check say that port 25 looks blocked (docs/selfcheck.md).
return {
  domain = "mx-blackhole.test",
  base = "enforce-ok",
  dns = {
    mx1 = { AAAA = "fd00:dead:0:25::1" },
    mx2 = { AAAA = "fd00:dead:0:25::2" },
    ["_25._tcp.mx1"] = false,
  },
  mx = { mx1 = false, mx2 = false },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.unreachable" },
  },
}
