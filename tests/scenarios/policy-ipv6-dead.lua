-- The policy host has a working A and an AAAA that never answers (connects time out).
return {
  domain = "policy-ipv6-dead.test",
  base = "enforce-ok",
  https = { variant = "ipv6-dead" },
  expect = { ["mta-sts"] = { "sts.policy.address" } },
}
