-- DNSSEC: an unsigned zone with no DS in test. (insecure), otherwise correct.
return {
  domain = "dnssec-insecure.test",
  base = "enforce-ok",
  signed = false,
  expect = {
    ["mta-sts"] = {},
    dnssec = { "dnssec.domain.insecure", "dnssec.mx.insecure" },
    mx = { "mx.dane.none", "mx.dane.unusable" },
  },
}
