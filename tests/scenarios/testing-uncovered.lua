-- `mode: testing` (id dated 3 days before `up`) and the policy lacks mx2.
return {
  domain = "testing-uncovered.test",
  base = "enforce-ok",
  dns = { ["_mta-sts"] = { TXT = "v=STSv1; id={days-ago:3}000000;" } },
  policy = "version: STSv1\nmode: testing\nmx: mx1.{domain}\nmax_age: 604800\n",
  expect = { ["mta-sts"] = { "sts.mode.testing", "sts.mx.uncovered_testing" } },
}
