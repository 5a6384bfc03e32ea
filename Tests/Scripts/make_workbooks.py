#!/usr/bin/env python3
"""Writes the workbooks the XLSX reader is tested on, with openpyxl (a real third-party writer).

usage: make_workbooks.py FOLDER
writes openpyxl.xlsx (a notes sheet, then readings under a title row: shared strings, dates,
numbers, booleans, empty cells), openpyxl1904.xlsx (the 1904 date system), wide10000.xlsx (a sheet
10,000 columns wide) and big.xlsx (rows given by $ROWS, default 1000, in write-only mode).
"""
import datetime as dt
import os
import sys

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

folder = sys.argv[1]
start = dt.datetime(2024, 3, 1)

wb = openpyxl.Workbook()
notes = wb.active
notes.title = "Notes"
notes["A1"] = "Exported from the portal; readings on the next sheet"
ws = wb.create_sheet("Readings")
ws["A1"] = "Consumption export & more <for> you"
ws.append([])
ws.append(["Meter", "Timestamp", "kWh", "Estimated"])
for i in range(48):
    meter = "M-A" if i % 2 == 0 else "M-B"
    value = None if i == 7 else round(0.1 * i, 3)
    ws.append([meter, start + dt.timedelta(minutes=30 * (i // 2)), value, i % 5 == 0])
wb.save(os.path.join(folder, "openpyxl.xlsx"))

wb = openpyxl.Workbook()
wb.epoch = CALENDAR_MAC_1904
ws = wb.active
ws.append(["meter_id", "start", "kwh"])
for i in range(4):
    ws.append(["M1", start + dt.timedelta(minutes=30 * i), 1.25])
wb.save(os.path.join(folder, "openpyxl1904.xlsx"))

wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("Wide")
ws.append([f"c{i}" for i in range(10_000)])
ws.append(list(range(10_000)))
wb.save(os.path.join(folder, "wide10000.xlsx"))

rows = int(os.environ.get("ROWS", "1000"))
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("Readings")
ws.append(["meter_id", "start", "kwh"])
meters = [f"SMR{10000 + m}A" for m in range(100)]
for i in range(rows):
    ws.append([meters[i % 100], start + dt.timedelta(minutes=30 * (i // 100)), (i % 97) * 0.01])
wb.save(os.path.join(folder, "big.xlsx"))
