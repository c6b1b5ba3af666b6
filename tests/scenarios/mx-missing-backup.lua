-- MX mismatch: DNS has mx1 and mx2, the enforce policy lists only mx1.
return {
  domain = "mx-missing-backup.test",
  base = "enforce-ok",
  policy = "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmax_age: 604800\n",
  expect = { ["mta-sts"] = { "sts.mx.uncovered" } },
}
