-- MX problem: mx2 (covered by the enforce policy) speaks only TLS 1.0 (RFC 8996; enforcing senders need TLS 1.2+); mx1 is fine.
return {
  domain = "mx-tls10.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "tls10" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.tls.old" },
  },
}
