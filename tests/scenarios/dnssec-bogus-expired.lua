-- DNSSEC: every RRSIG expired (validity 2010-01-01 .. 2011-01-01): bogus.
return {
  domain = "dnssec-bogus-expired.test",
  base = "enforce-ok",
  signed = "bogus-expired",
  expect = {
    ["mta-sts"] = { "sts.dnssec.bogus" },
    ["tls-rpt"] = { "tlsrpt.dnssec.bogus" },
    dnssec = { "dnssec.domain.bogus" },
    mx = { "mx.lookup_failed" },
  },
}
