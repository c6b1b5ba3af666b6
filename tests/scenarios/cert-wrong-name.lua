-- Bad certificate on the policy host: a CA-signed certificate for wrong-name.invalid.
return {
  domain = "cert-wrong-name.test",
  base = "enforce-ok",
  https = { variant = "wrong-name" },
  expect = { ["mta-sts"] = { "sts.policy.certificate" } },
}
