-- DNSSEC: the DS in test. matches no key of the zone: bogus.
return {
  domain = "dnssec-bogus-ds.test",
  base = "enforce-ok",
  signed = "bogus-ds",
  expect = {
    ["mta-sts"] = { "sts.dnssec.bogus" },
    ["tls-rpt"] = { "tlsrpt.dnssec.bogus" },
    dnssec = { "dnssec.domain.bogus" },
    mx = { "mx.lookup_failed" },
  },
}
