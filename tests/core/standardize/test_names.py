import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.names import name_key, name_keys
from segmentation_pipeline.core.standardize.text import Parsed

SUFFIXES = [
    "Inc",
    "Inc.",
    "Co",
    "Company",
    "Ltd",
    "Limited",
    "GmbH",
    "GmbH & Co. KG",
    "S.A.",
    "S.A. de C.V.",
    "Pty Ltd",
    "A/S",
    "LLC",
    "Corporation",
]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("The Crème Company, Inc.", "creme"),
        ("CREME CO", "creme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("A.B.C. Ltd", "abc"),
        ("O'Brien & Sons LLC", "obrien and sons"),
        ("O’Brien and Sons", "obrien and sons"),
        ("Société Générale S.A.", "societe generale"),
        ("Grupo Bimbo, S.A. de C.V.", "grupo bimbo"),
        ("Ørsted A/S", "orsted"),
        ("Straße Pty Ltd", "strasse"),
        ("The Home Depot", "home depot"),
        ("  Acme   Global  ", "acme global"),
        ("Inc.", "inc"),  # the first word is never stripped
        ("The", "the"),
    ],
)
def test_name_key(name, key):
    assert name_key(name, SUFFIXES) == Parsed(key, None)


def test_names_without_letters_or_digits_have_no_key():
    assert name_key("!!!", SUFFIXES) == Parsed(None, "no_letters")
    assert name_key("   ", SUFFIXES) == Parsed(None, "missing")
    assert name_key(None, SUFFIXES) == Parsed(None, "missing")


def test_legal_suffixes_come_from_the_table_only():
    assert name_key("Acme Holdings", SUFFIXES) == Parsed("acme holdings", None)
    assert name_key("Acme Holdings", [*SUFFIXES, "Holdings"]) == Parsed("acme", None)


def test_column_version():
    keys = name_keys(pd.Series(["Acme Inc", None, "ACME, INC."], index=[3, 4, 5]), SUFFIXES)
    assert keys.index.tolist() == [3, 4, 5]
    assert keys.iloc[0] == keys.iloc[2] == "acme"
    assert pd.isna(keys.iloc[1])
