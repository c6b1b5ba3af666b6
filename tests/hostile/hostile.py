#!/usr/bin/env python3
"""Hostile HTTPS and SMTP servers for spec/hostile_spec.lua (loopback only).

usage: hostile.py MODE ADDR PORT [CERT KEY] [DELAY]

Listens on ADDR:PORT (PORT 0: a free port), prints "<pid> <port>" once it
listens, and serves up to 8 connections at once the MODE's way. Bounded:
it exits on its own after LIFETIME seconds (SIGALRM), never keeps what it
reads, and stops writing when the client goes away. Standard library only.

HTTPS modes (TLS with CERT/KEY unless said otherwise):
  tls-silent       accepts TCP, reads, never answers (no ServerHello; no TLS)
  trickle          a response, one byte every 2 s
  endless-headers  a status line, then short header lines forever
  endless-line     a status line, then one header line that never ends
  huge-length      Content-Length: 1000000000, then a slow body
  endless-chunked  Transfer-Encoding: chunked, chunks forever
  http-stream      plain HTTP (no TLS): 200 and headers, then a body forever;
                   prints "sent <body bytes>" when the client has gone
SMTP modes (plain text, STARTTLS where said):
  banner-line      "220 " and one line that never ends
  continuation     "220-..." x 10,000, then "220 ok"
  ehlo-silent      a banner, then EHLO is never answered
  tls-garbage      STARTTLS answered 220, then random bytes
  tls-close        STARTTLS answered 220, the ClientHello read, then close
  tls-silent-smtp  STARTTLS answered 220, then nothing (no ServerHello)
  slow             every reply (banner, EHLO, STARTTLS, the handshake, QUIT)
                   delayed DELAY seconds; a real handshake with CERT/KEY
"""
import os
import signal
import socket
import ssl
import sys
import threading
import time

LIFETIME = 60
MAX_CONN = 8

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
cert = sys.argv[4] if len(sys.argv) > 4 else None
key = sys.argv[5] if len(sys.argv) > 5 else None
delay = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0

signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
signal.alarm(LIFETIME)

ctx = None
if cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

HTTPS_TLS = ("trickle", "endless-headers", "endless-line", "huge-length", "endless-chunked")


def send(c, data):
    try:
        c.sendall(data)
        return True
    except (OSError, ssl.SSLError):
        return False


def read_until(c, marker, limit=65536):
    """Reads (and forgets) until marker is seen; False on EOF or error."""
    seen = b""
    while True:
        try:
            data = c.recv(4096)
        except (OSError, ssl.SSLError):
            return False
        if not data:
            return False
        seen = (seen + data)[-limit:]
        if marker in seen:
            return True


def drain(c):
    """Reads and forgets until the client closes."""
    while True:
        try:
            if not c.recv(4096):
                return
        except (OSError, ssl.SSLError):
            return


def forever(c, chunk, pause=0.0):
    """Sends chunk until the client goes away; returns the bytes sent."""
    sent = 0
    while send(c, chunk):
        sent += len(chunk)
        if pause:
            time.sleep(pause)
    return sent


def http(c):
    if mode == "tls-silent":
        drain(c)
        return
    if mode in HTTPS_TLS:
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            return
    if not read_until(c, b"\r\n\r\n"):
        return
    if mode == "trickle":
        body = b"version: STSv1\nmode: enforce\nmx: mx1.enforce-ok.test\nmax_age: 86400\n"
        resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        for i in range(len(resp)):
            if not send(c, resp[i:i + 1]):
                return
            time.sleep(2)
    elif mode == "endless-headers":
        send(c, b"HTTP/1.1 200 OK\r\n")
        forever(c, b"X-Hostile: a\r\n" * 256)
    elif mode == "endless-line":
        send(c, b"HTTP/1.1 200 OK\r\nX-Hostile: ")
        forever(c, b"a" * 16384)
    elif mode == "huge-length":
        send(c, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000000\r\n\r\n")
        forever(c, b"x" * 1024, 0.1)
    elif mode == "endless-chunked":
        send(c, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        forever(c, b"1000\r\n" + b"x" * 4096 + b"\r\n")
    elif mode == "http-stream":
        send(c, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        print("sent", forever(c, b"x" * 16384), flush=True)


def reply(c, text):
    if delay:
        time.sleep(delay)
    return send(c, text)


def smtp(c):
    if mode == "banner-line":
        send(c, b"220 ")
        forever(c, b"x" * 16384)
        return
    if mode == "continuation":
        send(c, b"".join(b"220-line %d of 10000\r\n" % i for i in range(10000)) + b"220 ok\r\n")
        drain(c)
        return
    if not reply(c, b"220 hostile.test ESMTP\r\n"):
        return
    if mode == "ehlo-silent":
        drain(c)
        return
    f = c.makefile("rb")
    while True:
        try:
            line = f.readline(4096)
        except OSError:
            return
        if not line:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            if not reply(c, b"250-hostile.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"):
                return
        elif cmd == b"STARTTLS":
            if not reply(c, b"220 2.0.0 go ahead\r\n"):
                return
            break
        elif cmd == b"QUIT":
            reply(c, b"221 bye\r\n")
            return
        else:
            if not reply(c, b"502 5.5.2 no\r\n"):
                return
    if mode == "tls-garbage":
        send(c, os.urandom(4096))
        drain(c)
    elif mode == "tls-close":
        try:
            c.recv(4096)  # the ClientHello
        except OSError:
            pass
    elif mode == "tls-silent-smtp":
        drain(c)
    elif mode == "slow":
        time.sleep(delay)
        try:
            t = ctx.wrap_socket(c, server_side=True)
            tf = t.makefile("rb")
            while True:
                line = tf.readline(4096)
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO"):
                    reply(t, b"250 hostile.test\r\n")
                elif cmd == b"QUIT":
                    reply(t, b"221 bye\r\n")
                    return
                else:
                    reply(t, b"502 5.5.2 no\r\n")
        except (OSError, ssl.SSLError):
            return


HTTP_MODES = HTTPS_TLS + ("tls-silent", "http-stream")
SMTP_MODES = ("banner-line", "continuation", "ehlo-silent", "tls-garbage", "tls-close",
              "tls-silent-smtp", "slow")
if mode not in HTTP_MODES + SMTP_MODES:
    sys.exit("hostile.py: unknown mode " + mode)
serve = http if mode in HTTP_MODES else smtp

srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(MAX_CONN)
print(os.getpid(), srv.getsockname()[1], flush=True)
slots = threading.Semaphore(MAX_CONN)


def run(c):
    try:
        c.settimeout(LIFETIME)
        serve(c)
    finally:
        try:
            c.close()
        except OSError:
            pass
        slots.release()


while True:
    slots.acquire()
    c, _ = srv.accept()
    threading.Thread(target=run, args=(c,), daemon=True).start()
