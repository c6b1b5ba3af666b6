-- The one STS TXT does not parse (the id has characters RFC 8461 §3.1 forbids).
return {
  domain = "record-invalid.test",
  base = "enforce-ok",
  dns = { ["_mta-sts"] = { TXT = "v=STSv1; id=2024-01-01!;" } },
  expect = { ["mta-sts"] = { "sts.record.invalid" } },
}
