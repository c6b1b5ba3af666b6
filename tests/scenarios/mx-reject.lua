-- MX problem: mx2 (covered by the enforce policy) greets with `554` (RFC 5321 §3.1) and answers 503 until QUIT; mx1 is fine.
return {
  domain = "mx-reject.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "reject554" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.rejects" },
  },
}
