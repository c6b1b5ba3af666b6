-- `max_age: 3600` (RFC 8461 recommends weeks).
return {
  domain = "max-age-low.test",
  base = "enforce-ok",
  policy = "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 3600\n",
  expect = { ["mta-sts"] = { "sts.max_age.low" } },
}
