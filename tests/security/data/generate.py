# ruff: noqa: E501  - data literals and f-string templates read better unwrapped
"""Regenerates the redaction corpus: ``python tests/security/data/generate.py``.

Positives are realistic values embedded in prompt-like sentences (valid
checksums where the kind has one); negatives are look-alikes that must survive
redaction untouched (order numbers failing Luhn, versions, dates, times, hashes,
...). The seed is fixed so the files are stable; edit and re-run to extend.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

rng = random.Random(8)
HERE = Path(__file__).parent

SENTENCES = [
    "Please update my account, {v} is the right one.",
    "User said: my details are {v}, can you check?",
    "{v}",
    "Customer record -> {v} (verified)",
    'The form field contained "{v}" when submitted.',
    "Hi assistant, contact: {v}. Thanks!",
    "Log line: value={v}; status=ok",
    "Ticket #4821: reported by {v} yesterday",
]


def sentence(value: str) -> str:
    return rng.choice(SENTENCES).format(v=value)


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch)
            if i % 2 == 1:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        if total % 10 == 0:
            return candidate
    raise AssertionError


def luhn_fail(prefix: str, length: int) -> str:
    good = luhn_complete(prefix, length)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def group(number: str, sep: str, sizes: tuple[int, ...] = (4, 4, 4, 4)) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(number[i : i + size])
        i += size
    if i < len(number):
        parts.append(number[i:])
    return sep.join(p for p in parts if p)


def iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def rand(chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def cards() -> tuple[list[str], list[str]]:
    pos, neg = [], []
    prefixes = [
        ("4", 16),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("35", 16),
        ("4", 13),
        ("62", 19),
    ]
    for i in range(40):
        prefix, length = prefixes[i % len(prefixes)]
        number = luhn_complete(prefix, length)
        sep = [" ", "-", ""][i % 3]
        pos.append(group(number, sep) if length == 16 else number)
    for i in range(40):
        prefix, length = prefixes[i % len(prefixes)]
        number = luhn_fail(prefix, length)
        sep = [" ", "-", ""][i % 3]
        neg.append(group(number, sep) if length == 16 else number)
    return pos, neg


def ibans() -> tuple[list[str], list[str]]:
    pos, neg = [], []
    shapes = [
        ("DE", 18, string.digits),
        ("GB", 18, None),
        ("FR", 23, string.digits),
        ("NL", 14, None),
        ("ES", 20, string.digits),
        ("IT", 23, None),
        ("BE", 12, string.digits),
        ("CH", 17, string.digits),
    ]
    for i in range(36):
        country, n, chars = shapes[i % len(shapes)]
        if chars is None:
            bban = rand(string.ascii_uppercase, 4) + rand(string.digits, n - 4)
        else:
            bban = rand(chars, n)
        value = iban(country, bban)
        if i % 2:
            value = " ".join(value[j : j + 4] for j in range(0, len(value), 4))
        pos.append(value)
        # same shape, check digits off by one: fails mod-97
        bad_check = (int(value.replace(" ", "")[2:4]) % 97) + 1
        broken = value.replace(" ", "")
        broken = broken[:2] + f"{bad_check:02d}" + broken[4:]
        if iban(country, broken[4:]) == broken:
            broken = broken[:2] + f"{(bad_check + 1) % 97:02d}" + broken[4:]
        neg.append(broken)
    return pos, neg


def emails() -> tuple[list[str], list[str]]:
    names = [
        "john.doe",
        "a.smith",
        "maria_garcia",
        "li.wei+billing",
        "o'brien",
        "k.tanaka",
        "x",
        "support-team",
        "first.last99",
        "anna.k",
    ]
    names = [n for n in names if "'" not in n]
    domains = [
        "example.com",
        "mail.co.uk",
        "corp.example.org",
        "gmail.com",
        "uni.edu",
        "company.io",
        "post.de",
        "example.fr",
    ]
    pos = [f"{rng.choice(names)}{i}@{rng.choice(domains)}" for i in range(36)]
    neg_pool = [
        "@username",
        "user@",
        "icon@2x.png",
        "logo@3x.jpg",
        "npm install react@18.2.0",
        "lodash@4.17.21",
        "git tag v1.0@abc",
        "@decorator",
        "a @ b",
        "price @ 5 USD",
        "email at example dot com",
        "name[at]example.com",
        "sprite@2x.webp",
        "pkg@latest",
        "foo@bar",
        "ssh host@ip",
        "@@ -1,4 +1,5 @@",
        "matrix A@B",
        "x@y",
        "meet @ 10am",
        "cc: @alice @bob",
        "@types/node",
        "rate 3@4",
        "H@ck",
        "user@localhost",
        "admin@server",
        "local@host",
        "scope @org/pkg",
        "at@",
        "hello @world",
        "release@1.2.3",
        "vue@3",
        "avatar@1.5x.gif",
        "build@ci",
        "bg@2x.svg",
        "m@n",
    ]
    return pos, neg_pool


def phones() -> tuple[list[str], list[str]]:
    pos = []
    for i in range(36):
        style = i % 6
        if style == 0:
            pos.append(
                f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            )
        elif style == 1:
            pos.append(
                f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            )
        elif style == 2:
            pos.append(f"+44 20 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}")
        elif style == 3:
            pos.append(
                f"0{rng.randint(6, 7)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            )
        elif style == 4:
            pos.append(f"+49 {rng.randint(150, 179)} {rng.randint(1000000, 9999999)}")
        else:
            pos.append(f"{rng.randint(201, 989)}.{rng.randint(200, 999)}.{rng.randint(1000, 9999)}")
    neg = []
    for i in range(36):
        style = i % 9
        y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
        if style == 0:
            neg.append(f"{y}-{m:02d}-{d:02d}")
        elif style == 1:
            neg.append(f"{d:02d}/{m:02d}/{y}")
        elif style == 2:
            neg.append(f"{d:02d}.{m:02d}.{y}")
        elif style == 3:
            neg.append(
                f"{y}-{m:02d}-{d:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            )
        elif style == 4:
            neg.append(f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}")
        elif style == 5:
            neg.append(f"ORD-{y}-{rng.randint(100000, 999999)}")
        elif style == 6:
            neg.append(
                f"{rng.randint(1, 999)},{rng.randint(100, 999)},{rng.randint(100, 999)} tokens"
            )
        elif style == 7:
            neg.append(f"{rng.randint(1, 99)} {rng.randint(100, 999)}")
        else:
            neg.append(
                f"{rng.randint(10, 99)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}.{rng.randint(100, 999)}"
            )
    return pos, neg


def ips() -> tuple[list[str], list[str]]:
    pos = []
    for i in range(36):
        if i % 3 == 2:
            groups = [f"{rng.randint(0, 65535):x}" for _ in range(8)]
            if i % 2:
                pos.append(":".join(groups))
            else:
                pos.append(f"2001:db8:{groups[2]}::{groups[7]}")
        else:
            first = rng.choice([10, 172, 192, 8, 34, 52, 203, 100])
            pos.append(f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    neg = []
    for i in range(36):
        style = i % 7
        if style == 0:
            neg.append(f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}")
        elif style == 1:
            neg.append(
                f"v{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
            )
        elif style == 2:
            neg.append(
                f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
            )
        elif style == 3:
            neg.append(
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            )
        elif style == 4:
            neg.append(":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)))
        elif style == 5:
            neg.append(f"std::{rng.choice(['vector', 'map', 'string'])}<int>")
        else:
            neg.append(
                f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
            )
    return pos, neg


def national_ids() -> tuple[list[str], list[str]]:
    pos, neg = [], []
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    for i in range(36):
        style = i % 3
        if style == 0:
            pos.append(
                f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
            )
        elif style == 1:
            first = rng.choice("ACEHJKLMPRSTWXY")
            second = rng.choice("ABCEHJKLMPRSTWXY")
            pos.append(
                f"{first}{second} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.choice('ABCD')}"
            )
        else:
            n = rng.randint(10_000_000, 99_999_999)
            pos.append(f"{n}{letters[n % 23]}")
    for i in range(36):
        style = i % 4
        if style == 0:
            neg.append(
                f"{rng.choice(['000', '666', '900', '999'])}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
            )
        elif style == 1:
            n = rng.randint(10_000_000, 99_999_999)
            neg.append(f"{n}{letters[(n + 1) % 23]}")
        elif style == 2:
            neg.append(f"{rng.randint(100, 999)}-{rng.randint(100, 999)}")
        else:
            neg.append(f"SKU-{rng.randint(100, 999)}-{rng.randint(10, 99)}")
    return pos, neg


def secrets_() -> tuple[list[str], list[str]]:
    alnum = string.ascii_letters + string.digits
    pos = []
    for i in range(40):
        style = i % 10
        if style == 0:
            pos.append("sk-proj-" + rand(alnum + "_-", 48))
        elif style == 1:
            pos.append("sk-ant-api03-" + rand(alnum + "_-", 60))
        elif style == 2:
            pos.append("AKIA" + rand(string.ascii_uppercase + string.digits, 16))
        elif style == 3:
            pos.append("ghp_" + rand(alnum, 36))
        elif style == 4:
            pos.append(
                "xoxb-"
                + rand(string.digits, 12)
                + "-"
                + rand(string.digits, 12)
                + "-"
                + rand(alnum, 24)
            )
        elif style == 5:
            pos.append(
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx" + rand(alnum, 20) + "." + rand(alnum + "_-", 43)
            )
        elif style == 6:
            pos.append(
                "-----BEGIN RSA PRIVATE KEY-----\n"
                + rand(alnum + "+/", 64)
                + "\n-----END RSA PRIVATE KEY-----"
            )
        elif style == 7:
            pos.append("password=" + rand(alnum + "!#%", 12))
        elif style == 8:
            pos.append("api_key: " + rand(alnum, 32))
        else:
            pos.append("sk_live_" + rand(alnum, 24))
    neg = [
        "sk-learn",
        "sklearn",
        "sk-1",
        "task-12345",
        "AKIA",
        "akia-street",
        "ghp_short",
        "gh_pages",
        "xox",
        "xoxo hugs",
        "eyJ",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "password is required",
        "password reset link sent",
        "enter your password:",
        "api_key=<YOUR_KEY>",
        "api_key={API_KEY}",
        "token=${TOKEN}",
        "max_tokens=1024",
        "tokens: 512",
        "token_count=5",
        "secret sauce",
        "the secret is love",
        "passwords must match",
        "auth token expired",
        "sk-",
        "ASIA pacific",
        "ghp",
        "Bearer",
        "set API_KEY in .env",
        "pwd",
        "sha256:9f86d081884c7d659a2feaa0c55ad015",
        "commit 3f2a1b9c",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "session_id=abc",
        "password: ''",
    ]
    return pos, neg


KINDS = {
    "card": cards,
    "iban": ibans,
    "email": emails,
    "phone": phones,
    "ip": ips,
    "national_id": national_ids,
    "secret": secrets_,
}

if __name__ == "__main__":
    for kind, make in KINDS.items():
        pos, neg = make()
        with (HERE / f"{kind}.jsonl").open("w") as out:
            for value in pos:
                out.write(
                    json.dumps(
                        {"kind": kind, "label": "positive", "text": sentence(value), "value": value}
                    )
                    + "\n"
                )
            for value in neg:
                out.write(
                    json.dumps(
                        {"kind": kind, "label": "negative", "text": sentence(value), "value": value}
                    )
                    + "\n"
                )
        print(kind, len(pos), len(neg))
