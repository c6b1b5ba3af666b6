-- DNSSEC/DNS: lame delegation; the zone's nameserver address answers nothing, so every lookup times out. #7 defines no sts.* id for a lookup failure (the check errors).
return {
  domain = "dnssec-lame.test",
  base = "enforce-ok",
  signed = "lame",
  expect = { ["mta-sts"] = {} },
}
