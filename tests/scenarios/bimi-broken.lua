-- BIMI: `l=` points to a logo that is 404 on a valid HTTPS host.
return {
  domain = "bimi-broken.test",
  base = "enforce-ok",
  dns = { ["default._bimi"] = { TXT = "v=BIMI1; l=https://bimi.{domain}/missing.svg;" } },
  expect = { ["mta-sts"] = {} },
}
