#!/usr/bin/env python3
"""A misbehaving SMTP server for spec/probe_spec.lua (loopback only).

usage: fake_smtp.py MODE   -- listens on 127.0.0.1 (a free port), prints the
port, serves one connection the MODE's way, then exits (10 s at most).

MODE: reject    554 banner, then 503 until QUIT
      endless   "220-" lines forever
      longline  one 5000-octet line without CRLF
      garbage   an HTTP status line instead of a banner
      refuse    EHLO offers STARTTLS, STARTTLS answers 454
      changing  a multi-line banner whose code changes
      close     EHLO answered, then the connection is closed
"""
import socket
import sys

mode = sys.argv[1]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(10)
print(srv.getsockname()[1], flush=True)
try:
    c, _ = srv.accept()
except socket.timeout:
    sys.exit(1)
c.settimeout(10)
f = c.makefile("rb")


def send(s):
    try:
        c.sendall(s.encode() if isinstance(s, str) else s)
        return True
    except OSError:
        return False


def lines():
    while True:
        try:
            line = f.readline()
        except OSError:
            return
        if not line:
            return
        yield line.decode("latin-1").strip()


try:
    if mode == "reject":
        send("554 5.3.2 fake no SMTP service here\r\n")
        for line in lines():
            if line.upper().startswith("QUIT"):
                send("221 2.0.0 Bye\r\n")
                break
            send("503 5.5.1 Error: no SMTP service\r\n")
    elif mode == "endless":
        i = 0
        while send("220-line %d of an endless banner\r\n" % i):
            i += 1
            if i > 100000:
                break
    elif mode == "longline":
        send("220 " + "x" * 5000)
        for _ in lines():
            pass
    elif mode == "garbage":
        send("HTTP/1.1 400 Bad Request\r\n\r\n")
        for _ in lines():
            pass
    elif mode == "changing":
        send("220-fake\r\n250 fake\r\n")
        for _ in lines():
            pass
    elif mode in ("refuse", "close"):
        send("220 fake ESMTP\r\n")
        for line in lines():
            cmd = line.upper()
            if cmd.startswith("EHLO"):
                if mode == "close":
                    send("250-fake\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
                    break
                send("250-fake\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif cmd.startswith("STARTTLS"):
                send("454 4.7.0 TLS not available due to local problem\r\n")
            elif cmd.startswith("QUIT"):
                send("221 2.0.0 Bye\r\n")
                break
            else:
                send("502 5.5.2 Error: command not recognized\r\n")
finally:
    c.close()
    srv.close()
