-- `mode: none`: the domain withdrew its policy.
return {
  domain = "mode-none.test",
  base = "enforce-ok",
  policy = "version: STSv1\nmode: none\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 86400\n",
  expect = { ["mta-sts"] = { "sts.mode.none" } },
}
