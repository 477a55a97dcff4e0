import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.domain import registrable_domain, standardize_domain
from segmentation_pipeline.core.standardize.text import Parsed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.co.uk/about", "acme.co.uk"),
        ("WWW.ACME.COM", "acme.com"),
        ("acme.com.", "acme.com"),
        ("http://shop.eu.acme.com:8080/x?y=1#z", "acme.com"),
        ("jane.doe@sales.acme.com.au", "acme.com.au"),
        ("mailto:info@acme.de", "acme.de"),
        ("http://user@acme.io/path", "acme.io"),
        ("bücher.de", "bücher.de"),
    ],
)
def test_websites_and_emails_give_the_registrable_domain(raw, expected):
    assert registrable_domain(raw) == Parsed(expected, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        (None, "missing"),
        ("localhost", "no_public_suffix"),
        ("192.168.0.1", "no_public_suffix"),
        ("co.uk", "no_public_suffix"),
        ("not a website", "no_host"),
    ],
)
def test_no_domain_says_why(raw, reason):
    assert registrable_domain(raw) == Parsed(None, reason)


def test_mailbox_providers_are_not_company_domains():
    assert registrable_domain("jane@gmail.com", {"gmail.com"}) == Parsed(None, "free_mail_domain")


def test_column():
    out = standardize_domain(pd.Series([" WWW.ACME.COM ", None, "jane@gmail.com"]), {"gmail.com"})
    assert out["website"].tolist()[0] == "WWW.ACME.COM"
    assert out["domain"].tolist()[0] == "acme.com"
    assert out["domain_reason"].tolist()[1:] == ["missing", "free_mail_domain"]
