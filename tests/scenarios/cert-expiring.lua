-- The policy host's certificate is valid but expires 5 days after `up`.
return {
  domain = "cert-expiring.test",
  base = "enforce-ok",
  https = { variant = "expiring" },
  expect = { ["mta-sts"] = { "sts.policy.certificate_expiring" } },
}
