-- The policy host speaks only TLS 1.0: senders (TLS 1.2 or newer, RFC 8461 §7.2) cannot fetch it.
return {
  domain = "policy-tls10.test",
  base = "enforce-ok",
  https = { variant = "tls10" },
  expect = { ["mta-sts"] = { "sts.policy.certificate" } },
}
