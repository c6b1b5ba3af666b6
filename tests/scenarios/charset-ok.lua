-- The policy is served as `text/plain; charset=utf-8`: parameters are fine (no finding).
return {
  domain = "charset-ok.test",
  base = "enforce-ok",
  https = { variant = "charset" },
  expect = { ["mta-sts"] = {} },
}
