-- DNS problem (issue #11 §3.7): an MX RRset of 2,500 records. nsd serves it over TCP (name compression
-- keeps it under 64 KB), but libunbound cannot hold it: with the trust anchor it reports bogus ("rrset
-- too big"), without one NODATA, and both times a truncated answer (TC, no records). The resolver says
-- DNS_TOO_BIG; the mx check says mx.lookup_failed, never an implicit MX.
-- tests/testbed-check skips its MX comparison here: unbound-host cannot hold the RRset either.
local mx = {}
for i = 1, 2500 do
  mx[i] = ("%d mx%d.a-rather-long-mail-exchanger-name"):format(i % 100, i)
end
return {
  domain = "mx-huge.test",
  base = "enforce-ok",
  testbed_check = { skip_mx = "an RRset no validating resolver here can hold (the point of the scenario)" },
  dns = {
    ["@"] = { MX = mx },
  },
  expect = {
    ["tls-rpt"] = { "tlsrpt.rua.mailto_no_mx" },
    mx = { "mx.lookup_failed" },
  },
}
