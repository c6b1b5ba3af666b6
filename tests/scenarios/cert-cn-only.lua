-- Bad certificate on the policy host: a CA-signed certificate with the name only in the CN (no subjectAltName).
return {
  domain = "cert-cn-only.test",
  base = "enforce-ok",
  https = { variant = "cn-only" },
  expect = { ["mta-sts"] = { "sts.policy.certificate" } },
}
