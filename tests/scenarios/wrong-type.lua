-- The policy is served as `text/html`.
return {
  domain = "wrong-type.test",
  base = "enforce-ok",
  https = { variant = "text-html" },
  expect = { ["mta-sts"] = { "sts.policy.content_type" } },
}
