#!/usr/bin/env python3
"""Writes the raw-byte corpus of tricky but VALID HTTP/1.x requests in this directory
(one *.http file each, exact bytes) and the table in README.md. Every one must reach the
upstream and be answered 200, so strictness does not break real clients.
Run it again after editing CASES: python3 tests/data/http-good/make_corpus.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
H = b"Host: 127.0.0.1\r\n"
CHUNKED = b"Transfer-Encoding: chunked\r\n"


def post(headers, body, target=b"/good"):
    return b"POST " + target + b" HTTP/1.1\r\n" + H + headers + b"\r\n" + body


def get(headers=b"", target=b"/good"):
    return b"GET " + target + b" HTTP/1.1\r\n" + H + headers + b"\r\n"


CASES = [
    # name, number of requests (each answered 200, each reaching the upstream), what, bytes
    ("obs-text-in-value", 1, "a header value with obs-text (Latin-1 and UTF-8 bytes)",
     get(headers=b"X-Name: caf\xc3\xa9 \xe9t\xe9\r\n")),
    ("empty-value", 1, "a header with an empty value",
     get(headers=b"X-Empty:\r\n")),
    ("empty-value-with-ows", 1, "a header whose value is only whitespace",
     get(headers=b"X-Empty: \t \r\n")),
    ("ows-around-value", 1, "spaces and tabs around a value (OWS, trimmed)",
     get(headers=b"X-Foo: \t a b \t\r\n")),
    ("no-space-after-colon", 1, "X-Foo:a",
     get(headers=b"X-Foo:a\r\n")),
    ("tab-inside-value", 1, "a tab inside a value",
     get(headers=b"X-Foo: a\tb\r\n")),
    ("all-tchars-name", 1, "a header name with every tchar",
     get(headers=b"!#$%&'*+-.^_`|~09AZaz: v\r\n")),
    ("many-headers", 1, "200 small headers",
     get(headers=b"".join(b"X-H%d: v%d\r\n" % (i, i) for i in range(200)))),
    ("chunked-with-extensions", 1, "chunked body with chunk extensions (token and quoted values)",
     post(CHUNKED, b"5;a=b\r\nhello\r\n3;q=\"x y\";n\r\n!!!\r\n0;last\r\n\r\n")),
    ("chunked-uppercase-hex", 1, "chunk sizes in upper-case hex with leading zeros",
     post(CHUNKED, b"000A\r\n0123456789\r\n0\r\n\r\n")),
    ("chunked-with-trailers", 1, "chunked body followed by trailer fields",
     post(CHUNKED + b"Trailer: X-Sum\r\n", b"5\r\nhello\r\n0\r\nX-Sum: 5\r\nX-Other: a\tb\r\n\r\n")),
    ("te-chunked-case", 1, "Transfer-Encoding: Chunked (codings are case-insensitive)",
     post(b"Transfer-Encoding: Chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("te-chunked-ows", 1, "Transfer-Encoding:\\t chunked (OWS before the value)",
     post(b"Transfer-Encoding:\t chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")),
    ("content-length-zero", 1, "POST with Content-Length: 0",
     post(b"Content-Length: 0\r\n", b"")),
    ("content-length-leading-zeros", 1, "Content-Length: 005",
     post(b"Content-Length: 005\r\n", b"hello")),
    ("absolute-form-matching-host", 1, "absolute-form whose authority is the Host",
     b"GET http://127.0.0.1/good?x=1 HTTP/1.1\r\n" + H + b"\r\n"),
    ("absolute-form-host-case", 1, "absolute-form HTTP://127.0.0.1 (scheme case-insensitive)",
     b"GET HTTP://127.0.0.1/good HTTP/1.1\r\n" + H + b"\r\n"),
    ("query-with-specials", 1, "a query with characters allowed in a target",
     get(target=b"/good?a=1&b=%20x;y:z@w/!$'()*+,=?")),
    ("http10-no-host", 1, "HTTP/1.0 without Host",
     b"GET /good HTTP/1.0\r\n\r\n"),
    ("host-with-port", 1, "Host with a port, absolute-form with the same",
     b"GET http://127.0.0.1:80/good HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n"),
    ("expect-100-continue", 1, "Expect: 100-continue with a body",
     post(b"Expect: 100-continue\r\nContent-Length: 5\r\n", b"hello")),
    ("methods-put-delete", 2, "PUT then DELETE, pipelined",
     b"PUT /good HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n\r\nhi" +
     b"DELETE /good HTTP/1.1\r\n" + H + b"\r\n"),
    ("options-path", 1, "OPTIONS with an origin-form target",
     b"OPTIONS /good HTTP/1.1\r\n" + H + b"\r\n"),
    ("leading-empty-line", 1, "one empty line before the request line (RFC 9112 §2.2 lets a server ignore it)",
     b"\r\n" + get()),
    ("pipelined-three", 3, "three pipelined requests, chunked body in the middle",
     get() + post(CHUNKED, b"2\r\nhi\r\n0\r\n\r\n") + get()),
    ("long-value", 1, "a 16 KiB header value",
     get(headers=b"X-Long: " + b"v" * 16384 + b"\r\n")),
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
        "# http-good: tricky but valid HTTP/1.x requests",
        "",
        "Each `*.http` file holds one or more pipelined requests as raw bytes. `make_corpus.py`",
        "writes them and this table. `tests/e2e/proxy_robustness_test.cc` (ProxyGoodCorpus) sends",
        "each file on its own connection to `rollway proxy` in front of `test-upstream --record`:",
        "every request must be answered 200 and reach the upstream (`requests` of them);",
        "`tests/unit/http/corpus_test.cc` checks both parsers accept them.",
        "",
        "| file | requests | what it is |",
        "|------|----------|------------|",
    ]
    for name, count, what, _ in CASES:
        lines.append(f"| {name}.http | {count} | {what} |")
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} files")


if __name__ == "__main__":
    main()
