-- MX problem: mx2 (covered by the enforce policy) has a CA-signed certificate for wrong-name.invalid; mx1 is fine.
return {
  domain = "mx-wrong-name.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "wrong-name" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.certificate.invalid", "mx.dane.none" },
  },
}
