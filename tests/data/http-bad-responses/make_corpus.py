#!/usr/bin/env python3
"""Writes the raw-byte corpus of broken upstream RESPONSES in this directory (one per
*.resp file, exact bytes) and the table in README.md.
Run it again after editing CASES: python3 tests/data/http-bad-responses/make_corpus.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OK_HEAD = b"HTTP/1.1 200 OK\r\n"
CL5 = b"Content-Length: 5\r\n"
TE = b"Transfer-Encoding: chunked\r\n"


def resp(headers=b"", body=b"", status=OK_HEAD):
    return status + headers + b"\r\n" + body


CASES = [
    # name, request method, expected outcome, what it is, bytes.
    # Outcomes: 502 / 504 = that answer before any byte of the broken response;
    # truncated = a valid head and part of the body, then the connection closes;
    # complete = the valid part is relayed whole (extra bytes dropped, never relayed).
    ("status-line-garbage", "GET", "502", "a status line that is not HTTP", b"FOO BAR BAZ\r\n\r\n"),
    ("status-line-no-code", "GET", "502", "HTTP/1.1 with no status code", b"HTTP/1.1 \r\nContent-Length: 0\r\n\r\n"),
    ("status-code-two-digits", "GET", "502", "status code 20", b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
    ("status-code-four-digits", "GET", "502", "status code 2000", b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
    ("status-code-letters", "GET", "502", "status code 2xx", b"HTTP/1.1 2xx OK\r\nContent-Length: 0\r\n\r\n"),
    ("status-code-below-100", "GET", "502", "status code 099", b"HTTP/1.1 099 Hm\r\nContent-Length: 0\r\n\r\n"),
    ("version-http2", "GET", "502", "HTTP/2.0 in an HTTP/1 status line", b"HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ("version-unknown", "GET", "502", "HTTP/3.7 status line", b"HTTP/3.7 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ("version-lowercase", "GET", "502", "http/1.1 in lowercase", b"http/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ("http09-no-status-line", "GET", "502", "an HTTP/0.9-style answer: body only, no status line", b"<html>hello</html>\n"),
    ("h2-preface", "GET", "502", "the HTTP/2 connection preface as a response",
     b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"),
    ("cl-and-te", "GET", "502", "Content-Length and Transfer-Encoding: chunked together",
     resp(CL5 + TE, b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-and-cl", "GET", "502", "Transfer-Encoding: chunked, then Content-Length",
     resp(TE + CL5, b"5\r\nhello\r\n0\r\n\r\n")),
    ("cl-negative", "GET", "502", "Content-Length: -5", resp(b"Content-Length: -5\r\n", b"hello")),
    ("cl-non-numeric", "GET", "502", "Content-Length: five", resp(b"Content-Length: five\r\n", b"hello")),
    ("cl-huge", "GET", "502", "Content-Length beyond 2^64",
     resp(b"Content-Length: 99999999999999999999999\r\n", b"hello")),
    ("cl-hex", "GET", "502", "Content-Length: 0x5", resp(b"Content-Length: 0x5\r\n", b"hello")),
    ("cl-plus", "GET", "502", "Content-Length: +5", resp(b"Content-Length: +5\r\n", b"hello")),
    ("cl-duplicate-differing", "GET", "502", "two different Content-Length values",
     resp(CL5 + b"Content-Length: 6\r\n", b"hello!")),
    ("cl-list-differing", "GET", "502", "Content-Length: 5, 6", resp(b"Content-Length: 5, 6\r\n", b"hello!")),
    ("te-unknown", "GET", "502", "Transfer-Encoding: xchunked (unknown coding)",
     resp(b"Transfer-Encoding: xchunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("chunk-size-not-hex", "GET", "502|truncated", "chunk size 5g", resp(TE, b"5g\r\nhello\r\n0\r\n\r\n")),
    ("chunk-size-negative", "GET", "502|truncated", "chunk size -5", resp(TE, b"-5\r\nhello\r\n0\r\n\r\n")),
    ("chunk-size-overflow", "GET", "502|truncated", "chunk size 0x10000000000000005 (wraps to 5)",
     resp(TE, b"10000000000000005\r\nhello\r\n0\r\n\r\n")),
    ("chunk-data-too-long", "GET", "502|truncated", "chunk of size 5 carrying 8 bytes",
     resp(TE, b"5\r\nhello!!!\r\n0\r\n\r\n")),
    ("chunk-missing-crlf", "GET", "502|truncated", "no CRLF after chunk data",
     resp(TE, b"5\r\nhelloX0\r\n\r\n")),
    ("chunk-size-empty", "GET", "502|truncated", "an empty chunk-size line", resp(TE, b"\r\nhello\r\n0\r\n\r\n")),
    ("header-nul", "GET", "502", "a NUL byte in a header value", resp(b"X-A: a\x00b\r\n" + CL5, b"hello")),
    ("header-bare-cr", "GET", "502", "a bare CR in a header value", resp(b"X-A: a\rb\r\n" + CL5, b"hello")),
    ("header-bare-lf-in-value", "GET", "502", "a header line ended by bare CR then LF-less text",
     resp(b"X-A: a\rContent-Length: 0\r\n" + CL5, b"hello")),
    ("header-obs-fold", "GET", "502", "obs-fold continuation line",
     resp(b"X-A: a\r\n  folded\r\n" + CL5, b"hello")),
    ("header-space-before-colon", "GET", "502", "Content-Length : 5 (whitespace before the colon)",
     resp(b"Content-Length : 5\r\n", b"hello")),
    ("header-name-invalid-char", "GET", "502", "a header name with a non-token character",
     resp(b"X(A): 1\r\n" + CL5, b"hello")),
    ("header-no-colon", "GET", "502", "a header line without a colon", resp(b"NoColonHere\r\n" + CL5, b"hello")),
    ("header-empty-name", "GET", "502", "a header line starting with a colon", resp(b": value\r\n" + CL5, b"hello")),
    ("header-too-large", "GET", "502", "a 128 KiB header (over the head limit)",
     resp(b"X-Big: " + b"a" * (128 * 1024) + b"\r\n" + CL5, b"hello")),
    ("too-many-headers", "GET", "502", "8000 short headers (over the head limit)",
     resp(b"".join(b"X-H%d: v\r\n" % i for i in range(8000)) + CL5, b"hello")),
    ("interim-100-storm", "GET", "502", "1000 x 100 Continue before the answer",
     b"HTTP/1.1 100 Continue\r\n\r\n" * 1000 + resp(CL5, b"hello")),
    ("interim-103-storm", "GET", "502", "1000 x 103 Early Hints before the answer",
     b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" * 1000 + resp(CL5, b"hello")),
    ("switching-protocols-unasked", "GET", "502", "101 Switching Protocols to a request that asked no upgrade",
     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw-bytes"),
    ("head-with-body", "HEAD", "complete", "a response to HEAD that carries a body anyway",
     resp(CL5, b"hello") + b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"),
    ("body-longer-than-cl", "GET", "complete", "more body bytes than Content-Length (a smuggled response)",
     resp(CL5, b"hello") + b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"),
    ("close-in-status-line", "GET", "502", "the connection closes in the middle of the status line", b"HTTP/1.1 20"),
    ("close-in-headers", "GET", "502", "the connection closes in the middle of the headers",
     b"HTTP/1.1 200 OK\r\nContent-Le"),
    ("close-after-head-no-blank-line", "GET", "502", "the connection closes before the blank line",
     b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"),
    ("close-mid-body-length", "GET", "truncated", "Content-Length: 100, 10 bytes, close",
     resp(b"Content-Length: 100\r\n", b"0123456789")),
    ("close-mid-body-chunked", "GET", "truncated", "chunked, one chunk, close before the last chunk",
     resp(TE, b"a\r\n0123456789\r\n")),
    ("close-mid-chunk", "GET", "truncated", "chunked, close in the middle of a chunk",
     resp(TE, b"a\r\n01234")),
    ("close-without-bytes", "GET", "502", "the connection closes without any byte", b""),
    ("stall-without-bytes-stall", "GET", "504", "no byte at all, the connection stays open", b""),
    ("stall-in-head-stall", "GET", "504", "half a head, then nothing", b"HTTP/1.1 200 OK\r\nContent-Le"),
    ("stall-mid-body-length-stall", "GET", "truncated", "Content-Length: 100, 10 bytes, then nothing",
     resp(b"Content-Length: 100\r\n", b"0123456789")),
    ("stall-mid-body-chunked-stall", "GET", "truncated", "chunked, one chunk, then nothing",
     resp(TE, b"a\r\n0123456789\r\n")),
]


def main():
    for f in os.listdir(HERE):
        if f.endswith(".resp"):
            os.remove(os.path.join(HERE, f))
    names = set()
    rows = []
    for name, method, outcome, what, data in CASES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, name + ".resp"), "wb") as out:
            out.write(data)
        rows.append("| %s.resp | %s | %s | %s |" % (name, method, outcome.replace("|", "\\|"), what))
    readme = """# http-bad-responses: broken upstream responses

Each `*.resp` file is what one upstream writes, as raw bytes, to answer ONE request;
`make_corpus.py` writes them and this table. `test-upstream --raw-dir DIR` serves
`/raw/NAME` with the bytes of `DIR/NAME`, then closes the connection (a name containing
`-stall` keeps it open and sends nothing more). `tests/e2e/proxy_integrity_test.cc`
(ProxyResponseCorpus) sends `METHOD /raw/NAME` and a pipelined `GET /after` on one
client connection through `rollway proxy` (response and body timeouts of 1 s) and checks:

- outcome `502` / `504`: that answer, before any byte of the broken response;
  `truncated`: a valid head and part of the body, then the connection closes;
  `complete`: the valid part of the response relayed whole (the extra bytes never);
- after a 502/504 or a complete response, the only thing that may follow is the answer
  to `GET /after`; after a truncated response nothing follows and `GET /after` never
  reaches the upstream (no desync);
- the proxy counted an upstream error for every vector, and no 2xx for a broken one.

| file | method | outcome | what it is |
|------|--------|---------|------------|
"""
    with open(os.path.join(HERE, "README.md"), "w") as out:
        out.write(readme + "\n".join(rows) + "\n")
    print("%d vectors" % len(CASES))


if __name__ == "__main__":
    main()
