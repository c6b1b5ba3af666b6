-- DANE: mx1's TLSA 3 1 1 matches no key it presents (PKIX is fine).
return {
  domain = "dane-mismatch.test",
  base = "enforce-ok",
  dns = { ["_25._tcp.mx1"] = { TLSA = "3 1 1 0000000000000000000000000000000000000000000000000000000000000000" } },
  expect = {
    ["mta-sts"] = {},
    mx = { "mx.dane.mismatch", "mx.dane.none" },
  },
}
