#!/usr/bin/env python3
"""Per-meter energy totals (kWh) of a real meter or load file, computed from the file with
Python's csv module alone: the expectation the import tests hold the product's export to.

usage: expected_totals.py nem12|wide|long|grid FILE [hours-per-row]
prints one JSON object {meter: kWh}
"""
import csv
import json
import sys

kind, path = sys.argv[1], sys.argv[2]
totals = {}


def add(meter, value):
    totals[meter] = totals.get(meter, 0.0) + value


with open(path, newline="", encoding="utf-8-sig") as f:
    rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]

if kind == "nem12":
    meter, per_day = None, 48
    for r in rows:
        if r[0] == "200":
            suffix = r[4] or r[3]
            meter, per_day = f"{r[1]}-{suffix}", 1440 // int(r[8])
        elif r[0] == "300":
            values, method = r[2:2 + per_day], r[2 + per_day]
            if not method.startswith("N"):
                for v in values:
                    add(meter, float(v))
elif kind == "wide":
    header = rows[0]
    slots = [i for i, h in enumerate(header) if " - " in h]
    nmi = header.index("NMI")
    for r in rows[1:]:
        for i in slots:
            if r[i].strip():
                add(r[nmi], float(r[i]))
elif kind == "long":
    header = rows[0]
    nmi, value = header.index("NMI"), header.index("ProfileReadValue")
    for r in rows[1:]:
        if r[value].strip():
            add(r[nmi], float(r[value]))
elif kind == "grid":
    hours = float(sys.argv[3])
    header = rows[0]
    column = 1
    name = header[column]
    meter = name[:-3] if name.upper().endswith("_MW") else path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for r in rows[1:]:
        if r[column].strip():
            add(meter, float(r[column]) * 1000 * hours)
print(json.dumps(totals))
