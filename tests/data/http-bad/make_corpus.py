#!/usr/bin/env python3
"""Writes the raw-byte HTTP/1.1 corpus in this directory (one malformed or smuggling
request per *.http file, exact bytes, CRLFs included) and the table in README.md.
Run it again after editing CASES: python3 tests/data/http-bad/make_corpus.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
H = b"Host: 127.0.0.1\r\n"
GOOD_AFTER = b"GET /after-bad HTTP/1.1\r\n" + H + b"\r\n"


def post(headers, body):
    return b"POST /smuggled HTTP/1.1\r\n" + H + headers + b"\r\n" + body


def get(line_rest=b"", headers=b"", target=b"/smuggled"):
    return b"GET " + target + b" HTTP/1.1\r\n" + H + headers + line_rest + b"\r\n"


CHUNKED = b"Transfer-Encoding: chunked\r\n"
CASES = [
    # name, expected outcome, what it is, bytes
    ("cl-te-conflict", "400", "Content-Length and Transfer-Encoding: chunked together (CL.TE)",
     post(b"Content-Length: 6\r\n" + CHUNKED, b"0\r\n\r\nX")),
    ("te-cl-conflict", "400", "Transfer-Encoding: chunked, then Content-Length (TE.CL)",
     post(CHUNKED + b"Content-Length: 3\r\n", b"8\r\nSMUGGLED\r\n0\r\n\r\n")),
    ("duplicate-content-length", "400", "two Content-Length headers with different values",
     post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!")),
    ("content-length-with-comma-list", "400", "Content-Length: 5, 6 (a list of different values)",
     post(b"Content-Length: 5, 6\r\n", b"hello!")),
    ("content-length-plus-sign", "400", "Content-Length: +5",
     post(b"Content-Length: +5\r\n", b"hello")),
    ("content-length-negative", "400", "Content-Length: -5",
     post(b"Content-Length: -5\r\n", b"hello")),
    ("content-length-hex", "400", "Content-Length: 0x5",
     post(b"Content-Length: 0x5\r\n", b"hello")),
    ("content-length-empty", "400", "Content-Length with an empty value",
     post(b"Content-Length: \r\n", b"hello")),
    ("content-length-huge", "400|413", "Content-Length beyond 2^64",
     post(b"Content-Length: 99999999999999999999999\r\n", b"hello")),
    ("te-cl-obfuscated", "400", "Transfer-Encoding value hidden behind a vertical tab, with Content-Length",
     post(b"Content-Length: 4\r\nTransfer-Encoding: \x0bchunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-xchunked", "400|501", "Transfer-Encoding: xchunked (unknown coding, chunked not final)",
     post(b"Transfer-Encoding: xchunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-chunked-not-last", "400|501", "Transfer-Encoding: chunked, gzip (chunked must be the final coding)",
     post(b"Transfer-Encoding: chunked, gzip\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-identity", "400|501", "Transfer-Encoding: identity (removed coding) with Content-Length",
     post(b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n", b"hello")),
    ("te-double-chunked", "400|501", "Transfer-Encoding: chunked, chunked (chunked applied twice)",
     post(b"Transfer-Encoding: chunked, chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-split-headers", "400|501", "Transfer-Encoding: chunked and a second Transfer-Encoding: identity",
     post(CHUNKED + b"Transfer-Encoding: identity\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("space-before-colon", "400", "Transfer-Encoding : chunked (whitespace before the colon)",
     post(b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n", b"hello")),
    ("chunk-size-negative", "400", "chunk size -5",
     post(CHUNKED, b"-5\r\nhello\r\n0\r\n\r\n")),
    ("chunk-size-hex-overflow", "400", "chunk size 0x10000000000000005 (wraps to 5 in 64 bits)",
     post(CHUNKED, b"10000000000000005\r\nhello\r\n0\r\n\r\n")),
    ("chunk-size-not-hex", "400", "chunk size 5g",
     post(CHUNKED, b"5g\r\nhello\r\n0\r\n\r\n")),
    ("chunk-ext-bare-cr", "400", "a chunk extension containing a bare CR",
     post(CHUNKED, b"5;ext=a\rb\r\nhello\r\n0\r\n\r\n")),
    ("chunk-data-too-long", "400", "chunk size 3 followed by 5 bytes of data",
     post(CHUNKED, b"3\r\nhello\r\n0\r\n\r\n")),
    ("lf-only-chunk", "400", "chunked body whose lines end in bare LF",
     post(CHUNKED, b"5\nhello\n0\n\n")),
    ("chunked-missing-final-crlf", "400|close",
     "chunked body ends after 0 CRLF without the final CRLF, then another request (seen as a trailer)",
     post(CHUNKED, b"5\r\nhello\r\n0\r\n") + b"GET /smuggled2 HTTP/1.1\r\n" + H + b"\r\n"),
    ("bare-cr-in-header", "400", "a header value with a bare CR",
     get(headers=b"X-Foo: a\rb\r\n")),
    ("bare-lf-line-ending", "400", "request and header lines ending in bare LF",
     b"GET /smuggled HTTP/1.1\nHost: 127.0.0.1\nX-Foo: a\n\n"),
    ("obs-fold", "400", "a header continued on the next line (obs-fold)",
     get(headers=b"X-Foo: a\r\n b\r\n")),
    ("whitespace-before-first-header", "400", "the first header line starts with a space",
     b"GET /smuggled HTTP/1.1\r\n X-Foo: a\r\n" + H + b"\r\n"),
    ("nul-in-header", "400", "a NUL byte in a header value",
     get(headers=b"X-Foo: a\x00b\r\n")),
    ("nul-in-target", "400", "a NUL byte in the request-target",
     get(target=b"/smug\x00gled")),
    ("invalid-header-name-char", "400", "a header name containing '\"'",
     get(headers=b"X-Fo\"o: a\r\n")),
    ("tab-in-header-name", "400", "a header name containing a tab",
     get(headers=b"X-Foo\tBar: a\r\n")),
    ("empty-header-name", "400", "a header line with an empty name",
     get(headers=b": a\r\n")),
    ("http-0.9", "400|505|close", "an HTTP/0.9 request line (no version)",
     b"GET /smuggled\r\n\r\n"),
    ("http-2.0-version", "400|505|close", "an HTTP/2.0 version on an HTTP/1 connection",
     b"GET /smuggled HTTP/2.0\r\n" + H + b"\r\n"),
    ("lowercase-version", "400", "the version spelled http/1.1",
     b"GET /smuggled http/1.1\r\n" + H + b"\r\n"),
    ("missing-host", "400", "an HTTP/1.1 request without Host",
     b"GET /smuggled HTTP/1.1\r\nX-Foo: a\r\n\r\n"),
    ("two-hosts", "400", "two Host headers",
     get(headers=b"Host: other.example\r\n")),
    ("header-too-large", "431", "one 70 KiB header",
     get(headers=b"X-Big: " + b"a" * (70 * 1024) + b"\r\n")),
    ("request-line-too-long", "414|431", "a 70 KiB request-target",
     get(target=b"/" + b"a" * (70 * 1024))),
    ("invalid-method-token", "400|501", "a method containing '('",
     b"G(ET /smuggled HTTP/1.1\r\n" + H + b"\r\n"),
    ("absolute-uri-with-spaces", "400", "an absolute-form target containing spaces",
     b"GET http://127.0.0.1/a b HTTP/1.1\r\n" + H + b"\r\n"),
    ("connect-method", "400|405|501", "CONNECT (no tunnels through this proxy)",
     b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n"),
    ("expect-bogus", "417", "Expect: with an unknown expectation",
     post(b"Expect: bogus-thing\r\nContent-Length: 5\r\n", b"hello")),
    ("pipelined-after-bad", "400|close", "a CL.TE request, then a good request pipelined after it",
     post(b"Content-Length: 5\r\n" + CHUNKED, b"0\r\n\r\n") + GOOD_AFTER),
    ("pipelined-good-then-bad", "200 then 400|close",
     "a good GET /before-bad, a request with two Content-Lengths, a good GET /after-bad: only the first may reach the upstream",
     b"GET /before-bad HTTP/1.1\r\n" + H + b"\r\n" +
     post(b"Content-Length: 5\r\nContent-Length: 0\r\n", b"hello") + GOOD_AFTER),
]


def main():
    names = set()
    for name, _, _, data in CASES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, name + ".http"), "wb") as f:
            f.write(data)
    for existing in os.listdir(HERE):
        if existing.endswith(".http") and existing[:-5] not in names:
            os.remove(os.path.join(HERE, existing))
    lines = [
        "# http-bad: malformed and request-smuggling HTTP/1.1 requests",
        "",
        "Each `*.http` file is ONE request as raw bytes (CRLFs included; some files hold a",
        "request followed by more pipelined bytes). `make_corpus.py` writes them and this table;",
        "`tests/e2e/proxy_robustness_test.cc` (ProxyRobustness.Corpus) sends each file on its own",
        "connection to `rollway proxy` in front of `test-upstream --record` and checks the outcome.",
        "",
        "Outcome: the status the proxy must answer, alternatives separated by `|` (written `\\|`",
        "inside the table); `close` = the proxy closes (or resets) the connection without",
        "answering. `A then B`: the first response must be A, the next B. After an error answer",
        "the connection must close with nothing more sent. In every case the upstream must receive NOTHING of the",
        "bad request nor of anything after it (for `pipelined-good-then-bad`, only",
        "`GET /before-bad`).",
        "",
        "| file | outcome | what it is |",
        "|------|---------|------------|",
    ]
    for name, outcome, what, _ in CASES:
        cell = outcome.replace("|", "\\|")  # a literal | inside a Markdown table cell
        lines.append(f"| {name}.http | {cell} | {what} |")
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} files")


if __name__ == "__main__":
    main()
