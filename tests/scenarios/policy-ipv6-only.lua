-- The policy host has only an AAAA record (fd00::/8) and serves the policy there.
return {
  domain = "policy-ipv6-only.test",
  base = "enforce-ok",
  https = { variant = "ipv6-only" },
  expect = { ["mta-sts"] = {} },
}
