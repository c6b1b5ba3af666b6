-- The policy host's certificate expired (2020-01-01 .. 2021-01-01, fixed dates).
return {
  domain = "cert-expired.test",
  base = "enforce-ok",
  https = { variant = "expired" },
  expect = { ["mta-sts"] = { "sts.policy.certificate" } },
}
