#!/usr/bin/env python3
"""Independent verifier of deltabench signed documents (envelope v2).

Written from docs/SIGNING.md alone, with `rfc8785` (JCS) and `pynacl`
(libsodium's strict Ed25519) from PyPI and the standard library.

    verify_signing.py --vectors crates/trust/tests/golden/vectors.json \
        [--h3-cases crates/model/tests/golden/h3_cells.json] \
        [--bundle FILE_OR_URL ...] [--token TOKEN ...] [-v]

It checks every golden vector (canonical outputs and refusals, document
messages, hashes and signatures, roster approvals) and every document of each
bundle (`{"documents": [ENVELOPE, ...]}`, as `GET /api/v1/bundle` answers): the
JCS of the envelope without its signature, the domain prefix, SHA-256, strict
Ed25519, the approvals of roster documents, and the chain links between the
documents of one bundle. The payload rules of each kind come from its schema
(schemas/KIND.v1.schema.json); for hotline documents that includes telling a
valid H3 cell index at a resolution, which --h3-cases checks against cases the
node's H3 library judged. A URL bundle is fetched with `Authorization: Bearer
TOKEN`: one --token for all URLs, or one per URL in order.

It prints counts per section and ends with `N passed, M failed`; the exit
status is 1 when anything failed or nothing was checked, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import urllib.request
from typing import Any

import rfc8785
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

DOCUMENT_DOMAIN = b"deltabench/document/v2\x00"
ROSTER_DOMAIN = b"deltabench/roster/v2\x00"

ENVELOPE_MEMBERS = {
    "kind",
    "schema_version",
    "issuer",
    "issuer_key",
    "seq",
    "prev",
    "issued_at",
    "payload",
    "signature",
}
KINDS = {"jurisdiction", "summary", "framework", "crosswalk", "endorsement", "roster", "public_rating",
         "forecast", "hotline"}

HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")
CODE = re.compile(r"[0-9]{6}\Z")
SCHEMA_VERSION = re.compile(r"([0-9]{1,6})\.([0-9]{1,6})\Z")
ISSUED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")

# Integers of at most this magnitude are written by JCS as integers; the
# `rfc8785` package refuses larger Python ints, so exact larger ones become floats.
SAFE_INTEGER = 2**53 - 1


class Refused(Exception):
    """Input that the specification says must be refused."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


# --------------------------------------------------------------------- parsing


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise Refused("duplicate_member", repr(name))
        out[name] = value
    return out


def _integer(text: str) -> int | float:
    """An integer literal: kept if JCS writes it as an integer, else the
    double it stands for without doubt, else refused (never rounded)."""
    n = int(text)
    if abs(n) <= SAFE_INTEGER:
        return n
    try:
        f = float(n)
    except OverflowError:
        raise Refused("integer_out_of_range", text) from None
    # A double that holds it exactly, or the double whose ECMAScript spelling
    # (the JCS form) is these very digits: either way it stands for one double.
    if int(f) != n and rfc8785.dumps(f).decode() != text:
        raise Refused("integer_out_of_range", text)
    return f


def _number(text: str) -> float:
    f = float(text)  # correctly rounded to the nearest double
    if not math.isfinite(f):
        raise Refused("number_out_of_range", text)
    return f


def _constant(name: str) -> None:
    raise Refused("not_json", name)


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(
        object_pairs_hook=_object,
        parse_int=_integer,
        parse_float=_number,
        parse_constant=_constant,
    )


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused("invalid_utf8", str(e)) from None


def parse(data: bytes | str) -> Any:
    """Parses JSON text by docs/SIGNING.md 1.3."""
    text = _text(data)
    try:
        value, end = _decoder().raw_decode(text, _skip_ws(text, 0))
    except json.JSONDecodeError as e:
        raise Refused("not_json", str(e)) from None
    if _skip_ws(text, end) != len(text):
        raise Refused("not_json", "trailing characters")
    _check_strings(value)
    return value


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def _check_strings(v: Any) -> None:
    """Refuses lone surrogates (from escapes such as "\\ud800")."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                raise Refused("lone_surrogate", repr(x)) from None
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical bytes."""
    return rfc8785.dumps(value)


def split_bundle(data: bytes | str) -> list[bytes]:
    """The envelopes of a bundle `{"documents": [ENVELOPE, ...]}`, each as the
    exact bytes it was sent as (after the whole bundle parsed strictly)."""
    text = _text(data)
    whole = parse(text)
    if not isinstance(whole, dict) or not isinstance(whole.get("documents"), list):
        raise Refused("not_a_bundle", 'expected {"documents": [ENVELOPE, ...]}')
    dec = _decoder()
    i = _skip_ws(text, 0)
    if text[i] != "{":
        raise Refused("not_a_bundle")
    i = _skip_ws(text, i + 1)
    while True:
        name, i = dec.raw_decode(text, i)
        i = _skip_ws(text, i)
        assert text[i] == ":"
        i = _skip_ws(text, i + 1)
        if name == "documents":
            break
        _, i = dec.raw_decode(text, i)
        i = _skip_ws(text, i)
        assert text[i] == ","
        i = _skip_ws(text, i + 1)
    assert text[i] == "["
    i = _skip_ws(text, i + 1)
    out: list[bytes] = []
    if text[i] == "]":
        return out
    while True:
        _, end = dec.raw_decode(text, i)
        out.append(text[i:end].encode("utf-8"))
        i = _skip_ws(text, end)
        if text[i] == "]":
            return out
        assert text[i] == ","
        i = _skip_ws(text, i + 1)


# ---------------------------------------------------------------- signatures


def verify_strict(key_hex: str, message: bytes, sig_hex: str) -> bool:
    """Strict Ed25519 (libsodium: canonical S, no small-order key or R)."""
    if not HEX64.match(key_hex) or not HEX128.match(sig_hex):
        return False
    try:
        VerifyKey(bytes.fromhex(key_hex)).verify(message, bytes.fromhex(sig_hex))
        return True
    except (BadSignatureError, ValueError, TypeError):
        return False


def public_key_of(seed_hex: str) -> str:
    return SigningKey(bytes.fromhex(seed_hex)).verify_key.encode().hex()


def sign(seed_hex: str, message: bytes) -> str:
    return SigningKey(bytes.fromhex(seed_hex)).sign(message).signature.hex()


def approval_message(roster: Any) -> bytes:
    return ROSTER_DOMAIN + jcs(roster)


class Document:
    """An envelope that verified: its fields, message, hash and, for a roster
    document, its roster."""

    def __init__(self, raw: bytes) -> None:
        env = parse(raw)
        if not isinstance(env, dict):
            raise Refused("malformed", "an envelope must be an object")
        missing = ENVELOPE_MEMBERS - env.keys()
        extra = env.keys() - ENVELOPE_MEMBERS
        if missing or extra:
            raise Refused("malformed", f"missing {sorted(missing)}, unknown {sorted(extra)}")
        self.kind = env["kind"]
        self.issuer = env["issuer"]
        self.key = env["issuer_key"]
        self.seq = env["seq"]
        if isinstance(self.seq, float) and self.seq.is_integer():
            self.seq = int(self.seq)  # an integer beyond 2^53 that a double holds exactly
        self.prev = env["prev"]
        self.payload = env["payload"]
        self.signature = env["signature"]
        self._check_fields(env)

        body = {k: v for k, v in env.items() if k != "signature"}
        self.message = DOCUMENT_DOMAIN + jcs(body)
        self.hash = hashlib.sha256(self.message).hexdigest()
        self.canonical = jcs(env)
        self.raw = raw
        if not verify_strict(self.key, self.message, self.signature):
            raise Refused("bad_signature", f"{self.issuer}#{self.seq}")
        self.roster = None
        if self.kind == "roster":
            self.roster = Roster(self.payload)
        if self.kind == "public_rating":
            check_public_rating(self.payload)
        if self.kind == "forecast":
            check_forecast(self.payload)
        if self.kind == "hotline":
            check_hotline(self.payload)

    def _check_fields(self, env: dict[str, Any]) -> None:
        def bad(what: str) -> Refused:
            return Refused("malformed", what)

        if self.kind not in KINDS:
            raise Refused("unknown_kind", repr(self.kind))
        m = SCHEMA_VERSION.match(env["schema_version"]) if isinstance(env["schema_version"], str) else None
        if not m or int(m.group(1)) != 1:
            raise bad(f"schema_version {env['schema_version']!r}")
        if not isinstance(self.issuer, str) or not CODE.match(self.issuer):
            raise bad(f"issuer {self.issuer!r}")
        if not isinstance(self.key, str) or not HEX64.match(self.key):
            raise bad("issuer_key is not 64 lowercase hex digits")
        if not isinstance(self.signature, str) or not HEX128.match(self.signature):
            raise bad("signature is not 128 lowercase hex digits")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise bad(f"seq {self.seq!r}")
        if self.prev is not None and not (isinstance(self.prev, str) and HEX64.match(self.prev)):
            raise bad("prev is neither null nor 64 lowercase hex digits")
        if not isinstance(env["issued_at"], str) or not ISSUED_AT.match(env["issued_at"]):
            raise bad(f"issued_at {env['issued_at']!r}")
        if not isinstance(self.payload, dict):
            raise bad("payload is not an object")
        if self.seq == 1:
            if self.kind != "jurisdiction" or self.prev is not None:
                raise Refused("bad_chain_link", "seq 1 must be a jurisdiction declaration with prev null")
            if self.payload.get("code") != self.issuer or self.payload.get("public_key") != self.key:
                raise Refused("key_mismatch", "the declaration's code or public_key is not the envelope's")
        elif self.prev is None:
            raise Refused("bad_chain_link", f"seq {self.seq} names no predecessor")


def check_public_rating(p: dict[str, Any]) -> None:
    """The rules of a public_rating payload, from schemas/public_rating.v1.schema.json:
    per category, counts of the five levels summing to n, n at least k, the raw mean
    and satisfied share agreeing with the counts, and an ordered Wilson interval
    within [0, 1] holding the share."""
    def refuse(what: str) -> Refused:
        return Refused("invalid_payload", what)

    k = p.get("k")
    cats = p.get("categories")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise refuse(f"k {k!r}")
    if not isinstance(cats, list) or not cats:
        raise refuse("categories must be a non-empty list")
    seen = set()
    for i, c in enumerate(cats):
        at = f"categories[{i}]"
        counts, n = c.get("counts"), c.get("n")
        if not (isinstance(counts, list) and len(counts) == 5
                and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in counts)):
            raise refuse(f"{at}.counts must be five counts")
        if sum(counts) != n or n < k:
            raise refuse(f"{at}.n {n!r}: counts sum to {sum(counts)}, k is {k}")
        if c.get("category") in seen:
            raise refuse(f"{at}.category is listed twice")
        seen.add(c.get("category"))
        mean = sum(x * (level + 1) for level, x in enumerate(counts)) / n
        share = (counts[3] + counts[4]) / n
        if abs(c.get("raw_mean", -1) - mean) > 1e-9 * max(mean, 1):
            raise refuse(f"{at}.raw_mean does not agree with the counts")
        if abs(c.get("satisfied_share", -1) - share) > 1e-9:
            raise refuse(f"{at}.satisfied_share does not agree with the counts")
        lo, hi = (c.get("satisfied_interval") or [None, None])[:2]
        if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float))
                and 0 <= lo <= share + 1e-9 and share <= hi + 1e-9 and hi <= 1):
            raise refuse(f"{at}.satisfied_interval is not an ordered interval in [0, 1] holding the share")


YEAR = re.compile(r"(19[0-9]{2}|2[0-9]{3})\Z")
MONTH = re.compile(r"(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])\Z")


def check_forecast(p: dict[str, Any]) -> None:
    """The rules of a forecast payload, from schemas/forecast.v1.schema.json: a year,
    as_of a month of that year, a level strictly between 0 and 1, and per indicator
    (unique) lower <= forecast <= upper, at least one unit and a method."""
    def refuse(what: str) -> Refused:
        return Refused("invalid_payload", what)

    period, as_of, level = p.get("period"), p.get("as_of"), p.get("level")
    if not (isinstance(period, str) and YEAR.match(period)):
        raise refuse(f"period {period!r} is not a year")
    if not (isinstance(as_of, str) and MONTH.match(as_of) and as_of[:4] == period):
        raise refuse(f"as_of {as_of!r} is not a month of {period}")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise refuse(f"level {level!r} is not strictly between 0 and 1")
    entries = p.get("indicators")
    if not isinstance(entries, list) or not entries:
        raise refuse("indicators must be a non-empty list")
    seen = set()
    for i, e in enumerate(entries):
        at = f"indicators[{i}]"
        if e.get("indicator") in seen:
            raise refuse(f"{at}.indicator is listed twice")
        seen.add(e.get("indicator"))
        lo, x, hi = e.get("lower"), e.get("forecast"), e.get("upper")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, x, hi)):
            raise refuse(f"{at}: forecast, lower and upper must be numbers")
        if not lo <= x <= hi:
            raise refuse(f"{at}.forecast {x} is not within [{lo}, {hi}]")
        units = e.get("units")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise refuse(f"{at}.units {units!r}")
        method = e.get("method")
        if not (isinstance(method, str) and method.strip() and len(method) <= 200):
            raise refuse(f"{at}.method must be 1 to 200 characters, not blank")


H3_CELL = re.compile(r"[0-9a-f]{15}\Z")
# The base cells whose cells are pentagons: their first non-zero digit is never 1.
H3_PENTAGONS = {4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117}


def h3_resolution(cell: str) -> int | None:
    """The resolution of an H3 cell index written as 15 hex digits, or None when it
    is not a cell: bit 63 clear, mode (bits 59-62) 1, bits 56-58 clear, resolution in
    bits 52-55, base cell (bits 45-51) below 122, digits 1..res (3 bits each, from
    bit 42 down) 0-6 and the rest 7, and no pentagon's first non-zero digit 1."""
    if not H3_CELL.match(cell):
        return None
    h = int(cell, 16)
    if h >> 63 or (h >> 59) & 0xF != 1 or (h >> 56) & 0x7:
        return None
    res, base = (h >> 52) & 0xF, (h >> 45) & 0x7F
    if base >= 122:
        return None
    digits = [(h >> (3 * (15 - r))) & 0x7 for r in range(1, 16)]
    if any(d == 7 for d in digits[:res]) or any(d != 7 for d in digits[res:]):
        return None
    if base in H3_PENTAGONS:
        first = next((d for d in digits[:res] if d != 0), 0)
        if first == 1:
            return None
    return res


def check_hotline(p: dict[str, Any]) -> None:
    """The rules of a hotline payload, from schemas/hotline.v1.schema.json: unique
    categories with closed <= requests, resolved <= closed, within_sla <= with_sla <=
    requests, rated and flagged <= requests and a 1-5 satisfaction exactly when rated
    >= k; unique H3 cells at the document's resolution with at least k requests each;
    withheld_cells <= withheld_requests <= withheld_cells x (k - 1); and requests
    equal to the categories' sum and to cells + withheld + without coordinates."""
    def refuse(what: str) -> Refused:
        return Refused("invalid_payload", what)

    def count(v: Any, at: str) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFFFFFF:
            raise refuse(f"{at} {v!r} is not an unsigned 32-bit integer")
        return v

    k, res = count(p.get("k"), "k"), p.get("resolution")
    if k < 1:
        raise refuse("k must be at least 1")
    if isinstance(res, bool) or not isinstance(res, int) or not 0 <= res <= 15:
        raise refuse(f"resolution {res!r} is not 0 to 15")
    requests = count(p.get("requests"), "requests")
    categories, cells = p.get("categories"), p.get("cells")
    if not isinstance(categories, list) or not categories:
        raise refuse("categories must be a non-empty list")
    if not isinstance(cells, list):
        raise refuse("cells must be a list")
    seen: set[Any] = set()
    for i, c in enumerate(categories):
        at = f"categories[{i}]"
        if c.get("category") in seen:
            raise refuse(f"{at}.category is listed twice")
        seen.add(c.get("category"))
        n = {f: count(c.get(f), f"{at}.{f}") for f in
             ("requests", "closed", "resolved", "with_sla", "within_sla", "rated", "flagged")}
        for small, big in (("closed", "requests"), ("resolved", "closed"), ("with_sla", "requests"),
                           ("within_sla", "with_sla"), ("rated", "requests"), ("flagged", "requests")):
            if n[small] > n[big]:
                raise refuse(f"{at}.{small} {n[small]} is more than {big} {n[big]}")
        sat = c.get("satisfaction")
        if (sat is not None) != (n["rated"] >= k):
            raise refuse(f"{at}.satisfaction must be given exactly when rated >= k")
        if sat is not None and (isinstance(sat, bool) or not isinstance(sat, (int, float)) or not 1 <= sat <= 5):
            raise refuse(f"{at}.satisfaction {sat!r} is not within 1-5")
    cell_seen: set[str] = set()
    placed = 0
    for i, c in enumerate(cells):
        at = f"cells[{i}]"
        cell = c.get("cell")
        if not isinstance(cell, str) or h3_resolution(cell) != res:
            raise refuse(f"{at}.cell {cell!r} is not an H3 cell at resolution {res}")
        if cell in cell_seen:
            raise refuse(f"{at}.cell is listed twice")
        cell_seen.add(cell)
        n = count(c.get("count"), f"{at}.count")
        if n < k:
            raise refuse(f"{at}.count {n} is fewer than k = {k}")
        placed += n
    wc = count(p.get("withheld_cells"), "withheld_cells")
    wr = count(p.get("withheld_requests"), "withheld_requests")
    wo = count(p.get("without_coordinates"), "without_coordinates")
    if not wc <= wr <= wc * (k - 1):
        raise refuse(f"withheld_requests {wr} does not fit {wc} withheld cells below k = {k}")
    if sum(c["requests"] for c in categories) != requests:
        raise refuse("requests is not the sum of the categories' requests")
    if placed + wr + wo != requests:
        raise refuse("requests is not cells + withheld_requests + without_coordinates")


class Roster:
    """A roster payload whose every approval verifies under its stated key."""

    def __init__(self, payload: dict[str, Any]) -> None:
        roster = payload.get("roster")
        approvals = payload.get("approvals")
        if not isinstance(roster, dict) or not isinstance(approvals, list) or not approvals:
            raise Refused("invalid_payload", "a roster payload needs roster and approvals")
        self.alliance = roster.get("alliance")
        self.version = roster.get("version")
        self.threshold = roster.get("threshold")
        members = roster.get("members")
        if not isinstance(members, list) or not members:
            raise Refused("invalid_payload", "roster.members")
        self.members = {m.get("code"): m.get("key") for m in members if isinstance(m, dict)}
        if len(self.members) != len(members):
            raise Refused("invalid_payload", "roster.members: a code is listed twice")
        n = len(members)
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int) or not (n < 2 * t and t <= n):
            raise Refused("invalid_payload", f"threshold {t!r} is not more than half of {n} members")
        self.message = approval_message(roster)
        self.id = hashlib.sha256(self.message).hexdigest()
        self.approvals = []
        for i, a in enumerate(approvals):
            if not isinstance(a, dict) or not {"signer", "key", "signature"} <= a.keys():
                raise Refused("invalid_payload", f"approvals[{i}]")
            if not verify_strict(a["key"], self.message, a["signature"]):
                raise Refused("roster_bad_approval", f"approvals[{i}] by {a['signer']} does not verify")
            self.approvals.append((a["signer"], a["key"]))

    def approved_by(self, approvers: "Roster") -> None:
        """Checks the approvals against the members and threshold of
        `approvers` (the previous version, or this one for version 1)."""
        keys = set()
        for signer, key in self.approvals:
            if signer not in approvers.members:
                continue
            if approvers.members[signer] != key:
                raise Refused("roster_bad_approval", f"{signer} approved with a key not its own")
            keys.add(key)
        if len(keys) < approvers.threshold:
            raise Refused(
                "roster_threshold_not_met",
                f"{len(keys)} distinct approvals; version {approvers.version}'s threshold is {approvers.threshold}",
            )


# ------------------------------------------------------------------ reporting


class Tally:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.sections: list[tuple[str, int, int]] = []

    def section(self, name: str) -> None:
        self.sections.append((name, 0, 0))

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        name, p, f = self.sections[-1]
        if ok:
            self.passed += 1
            self.sections[-1] = (name, p + 1, f)
            if self.verbose:
                print(f"  ok    {name}: {what}")
        else:
            self.failed += 1
            self.sections[-1] = (name, p, f + 1)
            print(f"  FAIL  {name}: {what}{': ' + detail if detail else ''}")
        return ok

    def run(self, what: str, fn) -> Any:
        """Runs fn; a raised exception or a returned problem string fails."""
        try:
            result = fn()
        except Refused as e:
            self.check(what, False, f"refused ({e})")
            return None
        except Exception as e:  # noqa: BLE001 - a verifier reports, never crashes
            self.check(what, False, f"{type(e).__name__}: {e}")
            return None
        if isinstance(result, str):
            self.check(what, False, result)
            return None
        self.check(what, True)
        return result if result is not None else True


def expect(cond: bool, problem: str) -> None:
    if not cond:
        raise AssertionError(problem)


# ------------------------------------------------------------------- vectors


def check_vectors(path: str, t: Tally) -> None:
    with open(path, "rb") as f:
        v = parse(f.read())

    t.section("vectors/domains")
    t.run("document_domain_hex", lambda: expect(v["document_domain_hex"] == DOCUMENT_DOMAIN.hex(), "differs"))
    t.run("roster_domain_hex", lambda: expect(v["roster_domain_hex"] == ROSTER_DOMAIN.hex(), "differs"))

    t.section("vectors/canonical")
    for case in v["canonical"]:
        t.run(case["name"], lambda c=case: canonical_case(c))

    t.section("vectors/documents")
    docs: list[Document] = []
    for d in v["documents"]:
        doc = t.run(d["name"], lambda d=d: document_vector(d))
        if isinstance(doc, Document):
            docs.append(doc)
    check_chains(docs, t, "vectors/chain")

    t.section("vectors/roster_approvals")
    for r in v["roster_approvals"]:
        t.run(f"{r['name']}: message and id", lambda r=r: roster_vector(r))
        for a in r["approvals"]:
            t.run(f"{r['name']}: approval by {a['signer']}", lambda r=r, a=a: approval_vector(r, a))


def canonical_case(c: dict[str, Any]) -> str | None:
    try:
        got = jcs(parse(c["input"])).decode("utf-8")
    except Refused as e:
        if c.get("error") == e.code:
            return None
        return f"refused with {e.code}, expected {c.get('error') or 'output ' + repr(c.get('output'))}"
    if "error" in c:
        return f"gave {got!r}, expected refusal {c['error']}"
    if got != c["output"]:
        return f"gave {got!r}, expected {c['output']!r}"
    return None


def document_vector(d: dict[str, Any]) -> Document:
    raw = d["envelope"].encode("utf-8")
    doc = Document(raw)
    message = bytes.fromhex(d["signed_message_hex"])
    expect(public_key_of(d["seed"]) == d["public_key"] == doc.key, "seed, public_key and issuer_key disagree")
    expect(doc.message == message, "the signed message differs from signed_message_hex")
    expect(d["signed_message_text"].encode("utf-8") == message, "signed_message_text differs from signed_message_hex")
    expect(message.startswith(DOCUMENT_DOMAIN), "the message does not start with the document domain")
    expect(doc.hash == d["hash"], f"hash {doc.hash}, recorded {d['hash']}")
    expect(doc.signature == d["signature"], "signature differs")
    expect(sign(d["seed"], message) == d["signature"], "signing the message with the seed gives another signature")
    expect(doc.canonical == raw, "the envelope as sent is not its own JCS")
    if "payload_as_written" in d:
        expect(jcs(parse(d["payload_as_written"])) == jcs(doc.payload), "payload_as_written does not canonicalise to the payload")
    if doc.roster is not None:
        doc.roster.approved_by(doc.roster)
    return doc


def roster_vector(r: dict[str, Any]) -> None:
    message = approval_message(r["roster"])
    expect(message.hex() == r["approval_message_hex"], "approval message differs")
    expect(jcs(r["roster"]).decode("utf-8") == r["roster_canonical"], "roster_canonical differs")
    expect(hashlib.sha256(message).hexdigest() == r["roster_id"], "roster_id differs")
    approvals = [{k: a[k] for k in ("signer", "key", "signature")} for a in r["approvals"]]
    roster = Roster({"roster": r["roster"], "approvals": approvals})
    roster.approved_by(roster)


def approval_vector(r: dict[str, Any], a: dict[str, Any]) -> None:
    message = bytes.fromhex(r["approval_message_hex"])
    expect(public_key_of(a["seed"]) == a["key"], "seed and key disagree")
    expect(verify_strict(a["key"], message, a["signature"]), "signature does not verify")
    expect(sign(a["seed"], message) == a["signature"], "signing with the seed gives another signature")
    expect(r["roster"]["members"] and any(m["code"] == a["signer"] and m["key"] == a["key"] for m in r["roster"]["members"]),
           "the signer is not a member with this key")


# ------------------------------------------------------------------- bundles


def check_chains(docs: list[Document], t: Tally, section: str) -> None:
    t.section(section)
    by_pos: dict[tuple[str, int], Document] = {}
    for d in docs:
        held = by_pos.get((d.issuer, d.seq))
        if held is not None and held.hash != d.hash:
            t.check(f"{d.issuer}#{d.seq}", False, f"two documents: {held.hash} and {d.hash}")
        by_pos.setdefault((d.issuer, d.seq), d)
    for (issuer, seq), d in sorted(by_pos.items()):
        before = by_pos.get((issuer, seq - 1))
        if seq > 1 and before is not None:
            t.check(
                f"{issuer}#{seq} prev",
                d.prev == before.hash,
                f"prev {d.prev} is not the hash {before.hash} of {issuer}#{seq - 1}",
            )


def check_rosters(docs: list[Document], t: Tally, section: str) -> None:
    t.section(section)
    versions: dict[tuple[str, int], Roster] = {}
    for d in docs:
        if d.roster is not None:
            versions.setdefault((d.roster.alliance, d.roster.version), d.roster)
    for (alliance, version), r in sorted(versions.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        approvers = r if version == 1 else versions.get((alliance, version - 1))
        if approvers is None:
            print(f"  note  {section}: {alliance} v{version}: version {version - 1} is not in the bundle; "
                  "its approvals were verified against their stated keys only")
            continue
        t.run(f"{alliance} v{version} approved by the members of v{approvers.version}", lambda r=r, a=approvers: r.approved_by(a))


def load_bundle(src: str, token: str | None) -> bytes:
    if src.startswith(("http://", "https://")):
        req = urllib.request.Request(src, headers={"Accept": "application/json"})
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()
    with open(src, "rb") as f:
        return f.read()


def check_bundle(src: str, token: str | None, t: Tally) -> None:
    label = f"bundle {src}"
    t.section(label)
    raw = t.run("read and split", lambda: split_bundle(load_bundle(src, token)))
    if not isinstance(raw, list):
        return
    docs: list[Document] = []
    counts: dict[str, int] = {}
    for i, envelope in enumerate(raw):
        doc = t.run(f"documents[{i}]", lambda e=envelope: Document(e))
        if isinstance(doc, Document):
            docs.append(doc)
            counts[doc.kind] = counts.get(doc.kind, 0) + 1
            t.check(f"documents[{i}] ({doc.issuer}#{doc.seq} {doc.kind}) is sent as its JCS", doc.canonical == doc.raw)
    if not raw:
        t.check("the bundle holds documents", False, "it is empty")
    print(f"  {label}: {len(docs)} of {len(raw)} documents verified; "
          + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    check_chains(docs, t, f"{label}/chain")
    check_rosters(docs, t, f"{label}/rosters")


# ---------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vectors", help="the golden vectors file (crates/trust/tests/golden/vectors.json)")
    ap.add_argument("--bundle", action="append", default=[], help="a bundle file or URL; repeatable")
    ap.add_argument("--h3-cases", help="H3 cell indexes with the resolution a hotline document may use them at, "
                    "or null where it may not (crates/model/tests/golden/h3_cells.json)")
    ap.add_argument("--token", action="append", default=[], help="Bearer token for URL bundles: one for all, or one per URL")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every check")
    a = ap.parse_args()
    if not a.vectors and not a.bundle and not a.h3_cases:
        ap.error("nothing to check: give --vectors, --h3-cases and/or --bundle")
    urls = [b for b in a.bundle if b.startswith(("http://", "https://"))]
    if len(a.token) > 1 and len(a.token) != len(urls):
        ap.error(f"{len(a.token)} tokens for {len(urls)} URL bundles: give one, or one per URL")

    t = Tally(a.verbose)
    if a.vectors:
        try:
            check_vectors(a.vectors, t)
        except Exception as e:  # noqa: BLE001
            t.section("vectors")
            t.check(f"read {a.vectors}", False, f"{type(e).__name__}: {e}")
    if a.h3_cases:
        t.section("h3 cells")
        with open(a.h3_cases, encoding="utf-8") as f:
            for case in json.load(f):
                got = h3_resolution(case["cell"])
                t.check(case["cell"], got == case["resolution"],
                        f"resolution {got}, the file says {case['resolution']}")
    url_index = 0
    for b in a.bundle:
        token = None
        if b.startswith(("http://", "https://")) and a.token:
            token = a.token[url_index] if len(a.token) > 1 else a.token[0]
            url_index += 1
        check_bundle(b, token, t)

    print()
    for name, p, f in t.sections:
        if p or f:
            print(f"{name}: {p} passed, {f} failed")
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed or t.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
