"""The Salesforce client against the local org: every auth mode, faults, quota, secrets."""

import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from segmentation_pipeline.io.salesforce import (
    QuotaStopShareReached,
    RequestLimitExceeded,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceSettings,
    SalesforceUnavailable,
)
from segmentation_pipeline.io.salesforce.errors import SalesforceFieldError
from segmentation_pipeline.io.salesforce.soql import count, literal, select
from segmentation_pipeline.io.salesforce.usage import parse_limit_info

QUERY = "SELECT Id, Name FROM Account"


def network(server) -> dict:
    return {"proxy_url": server.proxy_url, "ca_bundle": server.ca_file, "backoff_seconds": 0.01}


def session_login(server) -> SalesforceSettings:
    return SalesforceSettings(
        auth_mode="session",
        session_id=server.api.issue_session_for_tests(),
        instance_url=server.direct_url,
        ca_bundle=server.ca_file,
    )


def names(client) -> list[str]:
    return sorted(r["Name"] for page in client.query_pages(QUERY) for r in page)


@pytest.fixture
def org(salesforce_server):
    salesforce_server.org.insert_many("Account", [{"Name": "Acme"}, {"Name": "Globex"}])
    return salesforce_server


def test_password_and_token_login_through_soap(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings)
    assert names(client) == ["Acme", "Globex"]
    assert org.api.logins == [("soap", "login.salesforce.com")]
    assert client.instance == "loopback.my.salesforce.com"


def test_sandbox_domain_logs_in_at_test_salesforce_com(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings.model_copy(update={"domain": "test"}))
    client.connect()
    assert org.api.logins == [("soap", "test.salesforce.com")]


def test_oauth_username_password_flow(org):
    creds = org.credentials
    settings = SalesforceSettings(
        **org.password_login(),
        consumer_key=creds.consumer_key,
        consumer_secret=creds.consumer_secret,
        backoff_seconds=0.01,
    )
    assert names(SalesforceClient(settings)) == ["Acme", "Globex"]
    assert org.api.logins == [("password", "login.salesforce.com")]


def test_jwt_bearer_with_a_private_key(org):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    org.credentials.jwt_public_key_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings = SalesforceSettings(
        auth_mode="jwt",
        username=org.credentials.username,
        consumer_key=org.credentials.consumer_key,
        private_key=pem,
        **network(org),
    )
    assert names(SalesforceClient(settings)) == ["Acme", "Globex"]
    assert org.api.logins[0][0] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_client_credentials_need_a_my_domain(org):
    creds = org.credentials
    settings = SalesforceSettings(
        auth_mode="client_credentials",
        consumer_key=creds.consumer_key,
        consumer_secret=creds.consumer_secret,
        domain="acme.my",
        **network(org),
    )
    assert names(SalesforceClient(settings)) == ["Acme", "Globex"]
    assert org.api.logins == [("client_credentials", "acme.my.salesforce.com")]
    with pytest.raises(ValueError, match="My Domain"):
        SalesforceSettings(
            auth_mode="client_credentials", consumer_key="k", consumer_secret="s", domain="login"
        )


def test_existing_session_id_and_instance_url(org):
    assert names(SalesforceClient(session_login(org))) == ["Acme", "Globex"]


def test_a_mode_missing_its_credentials_is_refused_naming_them():
    with pytest.raises(ValueError, match="needs: password, security_token"):
        SalesforceSettings(username="someone")


def test_failed_login_names_the_mode_but_never_the_secret(org, salesforce_settings, caplog):
    secret = "s3cret-Pa55word"
    settings = salesforce_settings.model_copy(update={"password": SecretStr(secret)})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SalesforceAuthError) as err:
        SalesforceClient(settings).connect()
    assert "password" in str(err.value) and "INVALID_LOGIN" in str(err.value)
    assert secret not in str(err.value)
    assert secret not in repr(settings)
    assert secret not in caplog.text


def test_503_bursts_are_retried_with_backoff(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings)
    client.connect()
    org.faults.unavailable_next = 3
    assert names(client) == ["Acme", "Globex"]
    assert client.retries == 3


def test_503_beyond_the_retries_gives_up_clearly(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings.model_copy(update={"max_retries": 2}))
    client.connect()
    org.faults.unavailable_next = 10
    with pytest.raises(SalesforceUnavailable, match="gave up after 3 attempts \\(HTTP 503\\)"):
        names(client)


def test_a_timeout_is_retried(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings.model_copy(update={"timeout_seconds": 0.3}))
    client.connect()
    org.faults.stall_next, org.faults.stall_seconds = 1, 1.0
    assert names(client) == ["Acme", "Globex"]
    assert client.retries == 1


def test_an_expired_session_logs_in_again_once(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings)
    client.connect()
    org.faults.expire_session_once = True
    assert names(client) == ["Acme", "Globex"]
    assert len(org.api.logins) == 2


def test_an_expired_session_during_a_bulk_job_logs_in_again(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings)
    client.connect()
    org.faults.expire_session_once = True
    pages = list(client.bulk_query_pages(QUERY))
    assert "Acme" in pages[0] and "Globex" in pages[0]
    assert client.reauthentications == 1
    assert len(org.api.logins) == 2


def test_an_expired_session_id_cannot_be_renewed(org):
    settings = session_login(org)
    org.api.expire_all_sessions()
    with pytest.raises(SalesforceAuthError, match="session-id login cannot renew it"):
        names(SalesforceClient(settings))


def test_request_limit_exceeded_stops_cleanly(org, salesforce_settings):
    client = SalesforceClient(salesforce_settings)
    client.connect()
    org.faults.request_limit_exceeded = True
    with pytest.raises(RequestLimitExceeded, match="rest is left for the next run"):
        names(client)


def test_usage_is_read_from_every_answer_and_stops_at_the_share(org, salesforce_settings):
    org.api.daily_api_limit = 100
    org.api.api_used = 78
    client = SalesforceClient(salesforce_settings.model_copy(update={"quota_stop_share": 0.8}))
    client.limits()
    assert (client.usage.used, client.usage.total) == (79, 100)
    client.limits()
    with pytest.raises(QuotaStopShareReached, match="80/100 \\(80%\\) reached the stop share"):
        client.limits()
    assert org.api.api_used == 80


def test_limit_info_header_parsing():
    assert parse_limit_info("api-usage=18/5000") == (18, 5000)
    assert parse_limit_info("api-usage=25/5000; per-app-api-usage=17/250(appName=x)") == (25, 5000)
    assert parse_limit_info(None) is None
    assert parse_limit_info("garbage") is None


def test_soql_is_built_from_identifiers_and_literals_only():
    assert select("Account", ["Id", "Name"], [("Name", "=", "O'Brien\\x")]) == (
        "SELECT Id, Name FROM Account WHERE Name = 'O\\'Brien\\\\x'"
    )
    assert count("Account", [("IsDeleted", "=", True)]) == (
        "SELECT COUNT() FROM Account WHERE IsDeleted = true"
    )
    assert literal(None) == "null"
    for bad in ["Name, (SELECT Id FROM Contact)", "Name--", "1Name", "Name WHERE"]:
        with pytest.raises(SalesforceFieldError):
            select("Account", [bad])
