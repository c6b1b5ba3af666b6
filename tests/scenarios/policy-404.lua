-- TXT without policy: the policy host answers, but /.well-known/mta-sts.txt is 404.
return {
  domain = "policy-404.test",
  base = "enforce-ok",
  https = { variant = "not-found" },
  expect = { ["mta-sts"] = { "sts.policy.unreachable" } },
}
