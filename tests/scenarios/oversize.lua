-- The policy body is 70 KB (with Content-Length), over the 64 KB limit.
return {
  domain = "oversize.test",
  base = "enforce-ok",
  https = { variant = "oversize" },
  expect = { ["mta-sts"] = { "sts.policy.too_large" } },
}
