-- The policy body is over 64 KB, sent chunked (no Content-Length).
return {
  domain = "oversize-chunked.test",
  base = "enforce-ok",
  https = { variant = "oversize-chunked" },
  expect = { ["mta-sts"] = { "sts.policy.too_large" } },
}
