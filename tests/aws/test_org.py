"""``aws-org://PROFILE``: every active account of an Organization scanned as its own ``aws://`` target.

An Organization is built on moto (management account 123456789012, five member accounts, one
closed account). moto creates the ``OrganizationAccountAccessRole`` in each member, as AWS
Organizations does; it gets an admin policy, and each member one bucket (versioned in some accounts, not in others). Then moto's IAM
enforcement is turned on, and the management account's auditor may not assume the role of one
member (an explicit ``Deny`` on ``sts:AssumeRole`` in its own policy). What moto proves: the
listing (paginated), one target per active account with the id a direct scan gets, findings
stored per account, the skipped closed account, and that a real ``AccessDenied`` from
``sts:AssumeRole`` on one account is an ``error`` naming that account while the others are scanned.
What it does not: moto does not evaluate the member roles' trust policies (AWS's usual reason for
that ``AccessDenied``); the code path, an ``AccessDenied`` answer to ``AssumeRole``, is the same.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT

ROLE = "OrganizationAccountAccessRole"
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
HOSTILE_NAME = 'Payments <img src=x onerror=alert(1)> & "ops"'


def _as(account: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                            RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name="us-east-1")


def _enforce_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on moto checks every request against the caller's IAM policies."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)


class Org(dict):  # name -> account id, plus "denied" and "closed"
    pass


@pytest.fixture
def org(moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    from moto.organizations.utils import PAGINATION_MODEL

    monkeypatch.setitem(PAGINATION_MODEL["list_accounts"], "limit_default", 2)  # the listing takes 4 pages
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    out = Org(mgmt=ACCOUNT)
    names = {"m1": HOSTILE_NAME, "m2": "dev", "m3": "staging", "m4": "prod", "m5": "sandbox", "closed": "old"}
    for key, name in names.items():
        status = orgs.create_account(AccountName=name, Email=f"{key}@example.org")["CreateAccountStatus"]
        out[key] = status["AccountId"]
    orgs.close_account(AccountId=out["closed"])
    for n, key in enumerate(("m1", "m2", "m3", "m4", "m5")):
        session = _as(out[key])
        session.client("iam").put_role_policy(RoleName=ROLE, PolicyName="admin", PolicyDocument=ADMIN)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=f"org-{key}")
        if n % 2:
            s3.put_bucket_versioning(Bucket=f"org-{key}", VersioningConfiguration={"Status": "Enabled"})
    boto3.client("s3").create_bucket(Bucket="org-mgmt")
    iam = boto3.client("iam")
    iam.create_role(RoleName="Jump", AssumeRolePolicyDocument=ADMIN)
    iam.put_role_policy(RoleName="Jump", PolicyName="admin", PolicyDocument=ADMIN)
    out["denied"] = out["m3"]
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=ADMIN)
    iam.put_user_policy(UserName="auditor", PolicyName="not-staging", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole",
                                                "Resource": f"arn:aws:iam::{out['denied']}:role/*"}]}))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    cfg = tmp_path / "config"
    cfg.write_text(f"[profile org-admin]\naws_access_key_id = {key['AccessKeyId']}\n"
                   f"aws_secret_access_key = {key['SecretAccessKey']}\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    _enforce_iam(monkeypatch)
    yield out


def _scan(tmp_path: Path, *args: str) -> Any:
    from click.testing import CliRunner

    from scanner.cli import cli

    return CliRunner().invoke(cli, ["scan", *args, "--db", str(tmp_path / "org.db"), "-p", "aws-foundations",
                                    "-c", "aws-s3-versioning", "-f", "html", "-o", str(tmp_path / "org.html")])


def test_org_scan_stores_each_account_under_its_own_id(org: Org, tmp_path: Path) -> None:
    from scanner.store import Store

    result = _scan(tmp_path, "aws-org://org-admin/us-east-1")
    # the unassumable account is an error: the default gate fails on errors (exit 1), the scan completes
    assert result.exit_code == 1, result.output
    view = Store(tmp_path / "org.db").view()
    targets = {t["id"]: t for t in view.targets}
    members = ("m1", "m2", "m3", "m4", "m5")
    assert set(targets) == {f"aws://{org[k]}/us-east-1" for k in ("mgmt", *members)}
    assert targets[f"aws://{org['m1']}/us-east-1"]["name"] == HOSTILE_NAME
    found = {(f["target_id"], f["resource_id"], f["status"]) for f in view.findings()}
    expected = {(f"aws://{ACCOUNT}/us-east-1", "arn:aws:s3:::org-mgmt", "fail")}
    for n, key in enumerate(members):
        if key == "m3":
            continue
        expected.add((f"aws://{org[key]}/us-east-1", f"arn:aws:s3:::org-{key}", "pass" if n % 2 else "fail"))
    denied = f"aws://{org['denied']}/us-east-1"
    assert {x for x in found if x[0] != denied} == expected
    # the denied account: an error naming the account and the reason, never a pass
    [err] = [f for f in view.findings() if f["target_id"] == denied]
    assert err["status"] == "error"
    reason = (f"cannot assume role arn:aws:iam::{org['denied']}:role/{ROLE} in account {org['denied']}: "
              "AccessDenied on sts:AssumeRole")
    assert reason in err["message"]
    assert targets[denied]["error"] == reason
    # the closed account is not scanned, and every account's facts say so; no request was repeated
    for t in view.targets:
        facts = t["facts"]
        assert facts["organization"]["skipped"] == [{"id": org["closed"], "name": "old", "state": "SUSPENDED"}]
        assert facts["organization"]["listed_by"] == ACCOUNT and facts["organization"]["scanned"] == 6
        if t["id"] != denied:
            assert facts["account_id"] == t["id"][len("aws://"):].split("/")[0]
            assert facts["repeated_calls"] == []
    html = (tmp_path / "org.html").read_text()
    assert "<img src=x" not in html and "Payments &lt;img src=x onerror=alert(1)&gt;" in html


def test_org_account_ids_match_a_direct_scan(org: Org, tmp_path: Path) -> None:
    """A member scanned alone through the same role gets the id its Organization scan stored."""
    from checks.aws.provider import AwsProvider

    prov = AwsProvider()
    org_ids = {t.id for t in prov.parse_target("aws-org://org-admin/us-east-1", {})}
    [direct] = prov.parse_target("aws://org-admin/us-east-1", {"role_arn": f"arn:aws:iam::{org['m2']}:role/{ROLE}"})
    [own] = prov.parse_target("aws://org-admin/us-east-1", {})
    assert direct.id in org_ids and own.id in org_ids and own.id == f"aws://{ACCOUNT}/us-east-1"


def test_org_options_reach_every_account(org: Org) -> None:
    from checks.aws.provider import AwsProvider

    targets = AwsProvider().parse_target("aws-org://org-admin", {
        "role_name": "Audit", "external_id": "ext-1", "session_name": "gs", "own_credentials": False,
        "accounts": [org["m1"], org["m2"], ACCOUNT], "regions": ["us-east-1"], "owner": "team-a"})
    assert sorted(t.id for t in targets) == sorted(f"aws://{a}" for a in (org["m1"], org["m2"], ACCOUNT))
    for t in targets:
        account = t.id[len("aws://"):]
        assert t.options["role_chain"] == [{"role_arn": f"arn:aws:iam::{account}:role/Audit",
                                            "external_id": "ext-1", "session_name": "gs"}]
        assert t.options["account_id"] == account and t.options["regions"] == ["us-east-1"]
        assert (t.options["jobs"], t.options["concurrency"]) == (8, 8)
        assert t.vars == {"owner": "team-a"} and t.address == "aws-org://org-admin"


def test_role_chain_hop_before_each_account(org: Org, tmp_path: Path) -> None:
    """A jump role first (the listing runs as it), then the role of each account; the account the
    chain ends in is scanned with the chain's credentials."""
    from scanner.store import Store

    jump = f"arn:aws:iam::{ACCOUNT}:role/Jump"
    inv = tmp_path / "org.yaml"
    inv.write_text("apiVersion: govscan/v1\nkind: Inventory\ntargets:\n"
                   f"  - target: aws-org://org-admin/us-east-1\n    role_chain: [{{role_arn: '{jump}'}}]\n"
                   f"    session_name: audit-7\n")
    result = _scan(tmp_path, "-i", str(inv))
    # the Deny is the auditor user's: the Jump role may assume every member's role
    assert result.exit_code == 0, result.output
    targets = {t["id"]: t for t in Store(tmp_path / "org.db").view().targets}
    assert len(targets) == 6 and [t for t in targets.values() if t["error"]] == []
    assert targets[f"aws://{ACCOUNT}/us-east-1"]["facts"]["caller_arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/Jump/govscan")
    assert targets[f"aws://{org['m1']}/us-east-1"]["facts"]["caller_arn"] == (
        f"arn:aws:sts::{org['m1']}:assumed-role/{ROLE}/audit-7")


def test_accounts_that_cannot_be_listed_are_one_error_target(moto: None, tmp_path: Path) -> None:
    from scanner.store import Store

    result = _scan(tmp_path, "aws-org:///us-east-1")  # moto: this account is in no Organization
    assert result.exit_code == 3, result.output
    [t] = Store(tmp_path / "org.db").view().targets
    assert t["id"] == "aws-org:///us-east-1"
    # moto answers an empty listing where AWS says AWSOrganizationsNotInUseException: either is an error
    assert t["error"] == ("cannot list the Organization's accounts: organizations:ListAccounts did not list the "
                          f"account it was asked from ({ACCOUNT}): not the management or a delegated "
                          "administrator account")


@pytest.mark.parametrize("options,message", [
    ({"role_arn": "arn:aws:iam::1:role/x"}, "takes role_name"),
    ({"role_name": "bad name"}, "is not an IAM role name"),
    ({"concurrency": 0}, "^aws-org://x: concurrency must be a whole number from 1 to 256"),
    ({"jobs": "many"}, "^aws-org://x: jobs must be a whole number"),
    ({"regions": ["useast1"]}, "^aws-org://x: 'useast1' is not an AWS region name"),
    ({"accounts": "123"}, "accounts must be a list"),
])
def test_bad_org_options_are_usage_errors(options: dict, message: str) -> None:
    from checks.aws.provider import AwsProvider
    from scanner.errors import UsageError

    with pytest.raises(UsageError, match=message):
        AwsProvider().parse_target("aws-org://x", options)


def test_aws_target_concurrency_is_checked_too() -> None:
    from checks.aws.provider import AwsProvider
    from scanner.errors import UsageError

    with pytest.raises(UsageError, match="^aws://p: concurrency must be a whole number from 1 to 256 .got 'x'"):
        AwsProvider().parse_target("aws://p", {"concurrency": "x"})


def test_concurrency_caps_requests_in_flight_per_account(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No more than ``concurrency`` requests of one account are in flight at once (32 collector threads)."""
    import checks.aws.session as session_mod

    from .conftest import collect

    s3 = boto3.client("s3")
    for i in range(40):
        s3.create_bucket(Bucket=f"cap-{i:02d}")
    lock, state = threading.Lock(), {"now": 0, "peak": 0}
    real_call = session_mod.call

    def counting(client: Any, operation: str, **params: Any) -> Any:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            threading.Event().wait(0.005)
            return real_call(client, operation, **params)
        finally:
            with lock:
                state["now"] -= 1

    import checks.aws.api as api_mod
    monkeypatch.setattr(api_mod, "call", counting)
    c = collect("aws:///us-east-1", types=["aws.s3.bucket", "aws.ec2.security_group", "aws.vpc", "aws.kms.key"],
                concurrency=3)
    assert c.fatal is None and len(c.resources["aws.s3.bucket"]) == 40
    assert 1 < state["peak"] <= 3
    monkeypatch.setattr(api_mod, "call", counting)
    state["peak"] = 0
    collect("aws:///us-east-1", types=["aws.s3.bucket"])
    assert state["peak"] > 3  # without the cap the same scan has more requests in flight



def test_fips_profile_holds_for_the_listing_and_every_account_hop(
        org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """use_fips_endpoint in the profile: the listing, each AssumeRole into a member and that member's
    own calls all go to FIPS endpoints (each hop reads the same profile)."""
    import os
    from urllib.parse import urlsplit

    import checks.aws.session as session_mod
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    from moto import settings

    # the recorder moves each request back to the standard host after signing: no signature checks
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    cfg = Path(os.environ["AWS_CONFIG_FILE"])
    cfg.write_text(cfg.read_text() + "use_fips_endpoint = true\n")
    seen: list[str] = []
    real = session_mod.new_session

    def record(request: Any = None, **_: Any) -> None:
        seen.append(urlsplit(request.url).hostname or "")
        request.url = request.url.replace("-fips.", ".", 1)  # moto answers the standard host names

    def wrapped(**kwargs: Any) -> Any:
        s = real(**kwargs)
        s.events.register_first("before-send", record)
        return s

    monkeypatch.setattr(session_mod, "new_session", wrapped)
    prov = AwsProvider()
    targets = {t.id: t for t in prov.parse_target("aws-org://org-admin/us-east-1", {})}
    assert "organizations-fips.us-east-1.amazonaws.com" in seen and len(targets) == 6
    c = prov.collect(targets[f"aws://{org['m1']}/us-east-1"], frozenset({"aws.vpc"}), CollectContext())
    assert c.fatal is None and c.facts["account_id"] == org["m1"]
    assert "ec2-fips.us-east-1.amazonaws.com" in seen and seen.count("sts-fips.us-east-1.amazonaws.com") >= 2
    assert [h for h in seen if "-fips." not in h] == []


def test_docs_org_inventory_example_scans_the_organization(org: Org, tmp_path: Path) -> None:
    """docs/aws.md's aws-org inventory, pointed at the moto Organization (its chain's account, role
    name and regions replaced by the ones moto has): every option is accepted and used."""
    import re

    from scanner.store import Store

    text = (Path(__file__).resolve().parents[2] / "docs" / "aws.md").read_text()
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "aws-org://" in b]
    block = (block.replace("111122223333:role/OrgReader", f"{ACCOUNT}:role/Jump")
             .replace("GovscanAudit", ROLE).replace("us-east-1,us-west-2", "us-east-1"))
    inv = tmp_path / "org.yaml"
    inv.write_text(block)
    result = _scan(tmp_path, "-i", str(inv))
    assert result.exit_code == 0, result.output
    view = Store(tmp_path / "org.db").view()
    assert len(view.targets) == 6 and all(t["error"] is None for t in view.targets)
    m1 = next(t for t in view.targets if t["id"] == f"aws://{org['m1']}/us-east-1")
    assert m1["facts"]["caller_arn"] == f"arn:aws:sts::{org['m1']}:assumed-role/{ROLE}/govscan-weekly"


def test_a_listing_with_a_malformed_account_id_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids from the network go into role ARNs and target ids: anything but 12 digits stops the listing."""
    import checks.aws.org_target as org_mod
    from checks.aws.provider import AwsProvider

    bad = org_mod.OrgListing(ACCOUNT, "aws", (org_mod.OrgAccount(ACCOUNT, "mgmt", "ACTIVE"),
                                              org_mod.OrgAccount("../../x", "evil", "ACTIVE")))
    monkeypatch.setattr(org_mod, "list_accounts", lambda options: bad)
    [t] = AwsProvider().parse_target("aws-org://p/us-east-1", {})
    assert t.id == "aws-org://p/us-east-1"
    assert t.options["org_error"] == ("cannot list the Organization's accounts: organizations:ListAccounts "
                                      "returned '../../x', not a 12-digit account id")


def test_endpoint_url_of_the_profile_holds_for_the_listing_and_every_account_hop(
        org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """endpoint_url in the profile (a VPC endpoint, an emulator): the listing, each AssumeRole and
    the member's own calls all go there."""
    import os
    from urllib.parse import urlsplit

    from moto import settings

    import checks.aws.session as session_mod
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))  # requests are moved after signing
    cfg = Path(os.environ["AWS_CONFIG_FILE"])
    cfg.write_text(cfg.read_text() + "endpoint_url = https://gateway.agency.example\n")
    seen: list[tuple[str, str]] = []
    real = session_mod.new_session

    def record(request: Any = None, operation_name: str = "", **kwargs: Any) -> None:
        seen.append((urlsplit(request.url).hostname or "", str(kwargs.get("event_name", ""))))
        service = str(kwargs.get("event_name", "")).split(".")[1]
        host = {"organizations": "organizations.us-east-1.amazonaws.com"}.get(service, f"{service}.us-east-1.amazonaws.com")
        request.url = request.url.replace("gateway.agency.example", host, 1)  # moto answers AWS host names

    def wrapped(**kwargs: Any) -> Any:
        s = real(**kwargs)
        s.events.register_first("before-send", record)
        return s

    monkeypatch.setattr(session_mod, "new_session", wrapped)
    prov = AwsProvider()
    targets = {t.id: t for t in prov.parse_target("aws-org://org-admin/us-east-1", {})}
    assert len(targets) == 6
    c = prov.collect(targets[f"aws://{org['m2']}/us-east-1"], frozenset({"aws.vpc"}), CollectContext())
    assert c.fatal is None and c.facts["account_id"] == org["m2"]
    events = [e for _, e in seen]
    assert any(".organizations." in e for e in events) and sum(".sts.AssumeRole" in e for e in events) == 1
    assert any(".ec2." in e for e in events)
    assert {h for h, _ in seen} == {"gateway.agency.example"}
