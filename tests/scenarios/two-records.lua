-- Two `v=STSv1` TXT records at `_mta-sts` (RFC 8461 §3.1: senders treat that as no policy).
return {
  domain = "two-records.test",
  base = "enforce-ok",
  dns = { ["_mta-sts"] = { TXT = { "v=STSv1; id=20240101T000000;", "v=STSv1; id=20240202T000000;" } } },
  expect = { ["mta-sts"] = { "sts.record.multiple" } },
}
