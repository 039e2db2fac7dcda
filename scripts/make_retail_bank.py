"""Rebuild the bundled retail-bank dataset and its truth from the generator.

Run from the repository root: ``.venv/bin/python scripts/make_retail_bank.py``.
"""

from pathlib import Path

from exlink.datasets.retail_bank import RETAIL_BANK_FILES, build_retail_bank

FOLDER = Path(__file__).resolve().parents[1] / "src" / "exlink" / "datasets" / "data"


def main() -> None:
    bank = build_retail_bank()
    data_file, truth_file = (FOLDER / name for name in RETAIL_BANK_FILES)
    bank.data.to_csv(data_file, index=False, float_format="%.6g", date_format="%Y-%m-%d")
    truth_file.write_text(bank.truth.to_json() + "\n")
    print(f"wrote {data_file} ({len(bank.data)} rows) and {truth_file}")


if __name__ == "__main__":
    main()
