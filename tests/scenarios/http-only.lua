-- HTTP only: the policy host serves the policy on port 80; port 443 is closed.
return {
  domain = "http-only.test",
  base = "enforce-ok",
  https = { variant = "http-only" },
  expect = { ["mta-sts"] = { "sts.policy.http_only" } },
}
