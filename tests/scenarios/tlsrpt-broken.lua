-- TLS-RPT: the `rua` mailto: domain does not exist (no MX, no address).
return {
  domain = "tlsrpt-broken.test",
  base = "enforce-ok",
  dns = { ["_smtp._tls"] = { TXT = "v=TLSRPTv1; rua=mailto:tlsrpt@no-mail.{domain}" } },
  expect = {
    ["mta-sts"] = {},
    ["tls-rpt"] = { "tlsrpt.rua.mailto_no_mx" },
  },
}
