-- Bad certificate on the policy host: a self-signed certificate (for the right name).
return {
  domain = "cert-self-signed.test",
  base = "enforce-ok",
  https = { variant = "self-signed" },
  expect = { ["mta-sts"] = { "sts.policy.certificate" } },
}
