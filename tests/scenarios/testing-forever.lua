-- `mode: testing` for two years: the TXT id is a date 730 days before `up`.
return {
  domain = "testing-forever.test",
  base = "enforce-ok",
  dns = { ["_mta-sts"] = { TXT = "v=STSv1; id={days-ago:730}000000;" } },
  policy = "version: STSv1\nmode: testing\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 604800\n",
  expect = { ["mta-sts"] = { "sts.mode.testing_long" } },
}
