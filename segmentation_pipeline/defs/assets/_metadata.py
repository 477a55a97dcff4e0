"""Metadata every asset attaches: row count, a markdown preview, distributions."""

import dagster as dg
import pandas as pd


def frame_metadata(
    frame: pd.DataFrame, preview_columns: list[str] | None = None, preview_rows: int = 10
) -> dict:
    head = frame.head(preview_rows)
    preview = head if preview_columns is None else head.reindex(columns=preview_columns)
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    }


def share_table(shares: dict[str, float]) -> dg.MetadataValue:
    lines = ["| value | share |", "|---|---|"]
    lines += [f"| {k} | {v:.1%} |" for k, v in shares.items()]
    return dg.MetadataValue.md("\n".join(lines))


def table_md(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "(none)")
