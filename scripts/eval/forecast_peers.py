#!/usr/bin/env python3
"""Nixtla statsforecast on the folds `nutcracker eval forecast --peers` writes.

Usage: forecast_peers.py FOLDS.jsonl OUT.jsonl [MODEL ...]
Models: SeasonalNaive (season 48), AutoETS (season 48), MSTL (seasons 48 and 336, AutoETS on the
remainder, statsforecast's default), and AutoARIMA-hourly: AutoARIMA with season 24 on hourly sums
(AutoARIMA with season 48 did not finish one fit in 8 minutes here), each hour's forecast and bounds
split evenly over its two half-hours. Each fold is fitted on its window alone; one warm-up fit per
model runs first so that numba's compilation is not counted in the timings.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoARIMA, AutoETS, SeasonalNaive

warnings.filterwarnings("ignore")

MODELS = {
    "SeasonalNaive": lambda: SeasonalNaive(season_length=48),
    "AutoETS": lambda: AutoETS(season_length=48),
    "MSTL": lambda: MSTL(season_length=[48, 336]),
    "AutoARIMA-hourly": lambda: AutoARIMA(season_length=24),
}


def hourly(name, values, horizon):
    """Fits on hourly sums and spreads each hour evenly over its half-hours."""
    v = np.asarray(values)
    v = v[len(v) % 2:]
    r = forecast(MODELS[name](), v.reshape(-1, 2).sum(axis=1), (horizon + 1) // 2)
    return {k: [x / 2 for x in vals for _ in (0, 1)][:horizon] for k, vals in r.items()}


def forecast(model, values, horizon):
    df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(values)), "y": values})
    fc = StatsForecast(models=[model], freq=1).forecast(df=df, h=horizon, level=[80, 95])
    col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
    return {k: fc[n].tolist() for k, n in
            [("mean", col), ("lo80", col + "-lo-80"), ("hi80", col + "-hi-80"), ("lo95", col + "-lo-95"), ("hi95", col + "-hi-95")]}


def main():
    folds_path, out_path = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or ["SeasonalNaive", "MSTL", "AutoETS"]
    folds = [json.loads(line) for line in open(folds_path)]
    with open(out_path, "w") as out:
        for name in names:
            run = (lambda f: hourly(name, f["values"], f["horizon"])) if name.endswith("-hourly") else \
                (lambda f: forecast(MODELS[name](), np.asarray(f["values"]), f["horizon"]))
            if folds:
                run(folds[0])  # warm-up
            for i, f in enumerate(folds):
                t0 = time.perf_counter()
                r = run(f)
                r.update(dataset=f["dataset"], series=f["series"], origin=f["origin"], model=name,
                         seconds=time.perf_counter() - t0)
                out.write(json.dumps(r) + "\n")
                print(f"\rstatsforecast {name}: fold {i + 1} of {len(folds)}", end="", file=sys.stderr, flush=True)
            print(file=sys.stderr)


if __name__ == "__main__":
    main()
