-- DKIM: the `mail` selector's key is truncated (p= is not a valid public key).
return {
  domain = "dkim-broken.test",
  base = "enforce-ok",
  dns = { ["mail._domainkey"] = { TXT = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtruncated" } },
  expect = { ["mta-sts"] = {} },
}
