#!/usr/bin/env python3
"""Rebuilds seeds/tier_placements.csv from the project's reference table,
../shared/data/tiers/tier_placements_normalized.csv (described in ../shared/data/PROVENANCE.md).

The rows are taken as they are (one per report year and country); only the column order changes
and the rows are sorted by report year and country name, so that a rebuild from the same table
gives the same bytes. Usage: python3 seeds/rebuild_tier_placements.py (from the repository root
or anywhere)."""

import csv
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "tiers" / "tier_placements_normalized.csv"
TARGET = ROOT / "seeds" / "tier_placements.csv"
COLUMNS = ["report_year", "iso3", "country_as_published", "tier", "tier_as_published", "source"]

with SOURCE.open(newline="", encoding="utf-8") as source:
    rows = list(csv.DictReader(source))
rows.sort(key=lambda row: (int(row["report_year"]), row["country_as_published"]))
with TARGET.open("w", newline="", encoding="utf-8") as target:
    writer = csv.DictWriter(target, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
print(f"{TARGET.relative_to(ROOT)}: {len(rows)} placements from {SOURCE.name}")
