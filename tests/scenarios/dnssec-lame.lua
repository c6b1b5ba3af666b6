-- DNSSEC/DNS: lame delegation; the zone's nameserver address answers nothing, so every lookup times out (no DS: it would be insecure if it answered).
return {
  domain = "dnssec-lame.test",
  base = "enforce-ok",
  signed = "lame",
  expect = {
    ["mta-sts"] = { "sts.record.lookup_failed" },
    ["tls-rpt"] = { "tlsrpt.record.lookup_failed" },
    dnssec = { "dnssec.domain.lookup_failed" },
    mx = { "mx.lookup_failed" },
  },
}
