-- MX problem: mx2 (covered by the enforce policy) has a self-signed certificate; mx1 is fine.
return {
  domain = "mx-self-signed.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "self-signed" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.certificate.invalid", "mx.dane.none" },
  },
}
