"""Pure pandas/python logic; nothing here imports Dagster."""
