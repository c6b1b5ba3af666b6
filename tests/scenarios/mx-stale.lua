-- MX mismatch: the policy still lists mx3, which is no longer an MX (nor a host).
return {
  domain = "mx-stale.test",
  base = "enforce-ok",
  policy = "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmx: mx3.{domain}\nmax_age: 604800\n",
  expect = { ["mta-sts"] = { "sts.mx.stale" } },
}
