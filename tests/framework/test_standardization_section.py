import pytest
import yaml

from segmentation_pipeline.framework import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    load_framework,
    parse_framework,
)
from segmentation_pipeline.framework.standardization import StandardizationConfig


def framework_with(**section) -> dict:
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    data["standardization"] = {**data["standardization"], **section}
    return data


def test_yaml_defaults_equal_the_model_defaults():
    assert load_framework().standardization == StandardizationConfig()


def test_a_framework_without_the_section_gets_the_defaults():
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    del data["standardization"]
    assert parse_framework(data).standardization == StandardizationConfig()


def test_bundled_tables_load():
    tables = StandardizationConfig().tables()
    assert tables.industry_synonyms["saas"] == "Software"
    assert tables.region_by_country["BR"] == "LATAM"
    assert len(tables.region_by_country) > 240
    assert "gmbh" in tables.legal_suffixes
    assert "gmail.com" in tables.generic_domains


def test_user_tables_extend_the_bundled_ones_and_inline_entries_win(tmp_path):
    extra = tmp_path / "synonyms.csv"
    extra.write_text("synonym,industry\nwidgets,Manufacturing\nsaas,Media\n")
    section = StandardizationConfig(
        industry_synonym_files=["bundled:industry_synonyms.csv", str(extra)],
        industry_synonyms={"saas": "Software"},
    )
    synonyms = section.tables().industry_synonyms
    assert synonyms["widgets"] == "Manufacturing"
    assert synonyms["saas"] == "Software"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"industry_synonym_files": ["/nowhere/x.csv"]}, "standardization.industry_synonym_files"),
        ({"region_overrides": {"Germany": "EMEA"}}, "standardization.region_overrides"),
        ({"country_aliases": {"Deutschland": "de"}}, "standardization.country_aliases"),
        ({"industry_fuzzy_min_score": 101}, "standardization.industry_fuzzy_min_score"),
        ({"synonyms": {}}, "standardization.synonyms: unknown key"),
    ],
)
def test_bad_sections_are_rejected_naming_the_field(section, message):
    with pytest.raises(FrameworkError, match=message.replace(".", r"\.")):
        parse_framework(framework_with(**section))


def test_the_tables_digest_follows_the_contents_of_the_files(tmp_path):
    extra = tmp_path / "synonyms.csv"
    extra.write_text("synonym,industry\nwidgets,Manufacturing\n")
    section = StandardizationConfig(
        industry_synonym_files=["bundled:industry_synonyms.csv", str(extra)]
    )
    before = section.tables_digest()
    assert section.tables_digest() == before
    extra.write_text("synonym,industry\nwidgets,Retail\n")
    assert section.tables_digest() != before
