-- DMARC: the record has no `p=` tag (RFC 7489 §6.3: required).
return {
  domain = "dmarc-broken.test",
  base = "enforce-ok",
  dns = { ["_dmarc"] = { TXT = "v=DMARC1; rua=mailto:dmarc@{domain}" } },
  expect = { ["mta-sts"] = {} },
}
