-- mx2 speaks only TLS 1.0 (RFC 8461 §3.? senders need TLS 1.2+, so enforcing senders skip it).
return {
  domain = "mx-tls10.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "tls10" } },
  expect = { ["mta-sts"] = { "sts.mx.certificate" } },
}
