-- DANE: the RRSIG of mx1's TLSA RRset is corrupted, so the TLSA answer is bogus (the rest of the zone is secure).
return {
  domain = "dane-bogus.test",
  base = "enforce-ok",
  dns = { ["_25._tcp.mx1"] = { bogus = { "TLSA" } } },
  expect = {
    ["mta-sts"] = {},
    mx = { "mx.dane.bogus", "mx.dane.none" },
  },
}
