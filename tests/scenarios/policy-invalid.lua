-- The policy file does not parse (`mode: enforcing`, no max_age).
return {
  domain = "policy-invalid.test",
  base = "enforce-ok",
  policy = "version: STSv1\nmode: enforcing\nmx: mx1.{domain}\nmx: mx2.{domain}\n",
  expect = { ["mta-sts"] = { "sts.policy.invalid" } },
}
