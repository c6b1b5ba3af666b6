-- The policy trickles: one line every 2 s, about 22 s in all (past the fetch timeout).
return {
  domain = "slow.test",
  base = "enforce-ok",
  https = { variant = "slow" },
  expect = { ["mta-sts"] = { "sts.policy.unreachable" } },
}
