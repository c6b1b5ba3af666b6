-- SPF: two `v=spf1` records (RFC 7208 §4.5: permerror).
return {
  domain = "spf-broken.test",
  base = "enforce-ok",
  dns = { ["@"] = { TXT = { "v=spf1 mx -all", "v=spf1 a -all" } } },
  expect = { ["mta-sts"] = {} },
}
