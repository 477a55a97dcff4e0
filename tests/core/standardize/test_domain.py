import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.standardize.domain import (
    domain_of_host,
    registrable_domain,
    registrable_domains,
    standardize_domain,
)
from segmentation_pipeline.core.standardize.text import Parsed
from segmentation_pipeline.framework.standardization import StandardizationConfig


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://pioneer.myshopify.com", "pioneer.myshopify.com"),
        ("evergreen.wixsite.com/shop", "evergreen.wixsite.com"),
        ("https://acme-labs.github.io/", "acme-labs.github.io"),
        ("shop.acme.myshopify.com", "acme.myshopify.com"),
    ],
)
def test_a_site_on_a_shared_host_is_its_own_domain(raw, expected):
    """Hosts in the public suffix list's private section (shop and site builders, static
    hosting) serve many companies: each customer's site is a domain of its own, or every
    shop on the host would share one domain and be matched as one company."""
    assert registrable_domain(raw) == Parsed(expected, None)


def test_mailbox_providers_are_not_company_domains():
    assert registrable_domain("jane@gmail.com", {"gmail.com"}) == Parsed(None, "generic_domain")


def test_a_profile_page_says_nothing_about_the_company():
    """Two companies whose website is their LinkedIn page share no domain."""
    generic = StandardizationConfig().tables().generic_domains
    for page in ("https://www.linkedin.com/company/pioneer-outfitters", "facebook.com/acme"):
        assert registrable_domain(page, generic) == Parsed(None, "generic_domain")


def test_column():
    out = standardize_domain(pd.Series([" WWW.ACME.COM ", None, "jane@gmail.com"]), {"gmail.com"})
    assert out["website"].tolist()[0] == "WWW.ACME.COM"
    assert out["domain"].tolist()[0] == "acme.com"
    assert out["domain_reason"].tolist()[1:] == ["missing", "generic_domain"]


SUFFIXES = ["com", "co.uk", "uk", "de", "com.au", "jp", "kawasaki.jp", "ck", "k12.ma.us",
            "github.io", "nom.br", "invalidtld", "sch.uk", "bd"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda labels, suffix: ".".join([*labels, suffix]),
            st.lists(
                st.sampled_from(
                    [
                        "www",
                        "city",
                        "acme",
                        "x",
                        "a-b",
                        "shop",
                        "bücher",
                        "xn--bcher-kva",
                        "k12",
                        "ma",
                    ]
                ),
                max_size=3,
            ),  # fmt: skip
            st.sampled_from(SUFFIXES),
        ),
        max_size=20,
    )
)
def test_column_walk_of_the_suffix_rules_agrees_with_tldextract(hosts):
    found = registrable_domains(pd.Series(hosts, dtype="str"))
    for host, domain in zip(hosts, found, strict=True):
        assert (None if pd.isna(domain) else domain) == domain_of_host(host).value, host
