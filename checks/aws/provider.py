"""The AWS provider: ``aws://[PROFILE][/REGION[,REGION]]`` targets, collected concurrently with boto3.

One scan of one account: build the session (profile or default chain, then any assume-role chain),
identify the account, find the enabled regions (or check the configured ones), then run one task per
(resource type, region) on a thread pool sized to the work, with a matching connection pool and
botocore adaptive retries. Failures become :class:`~scanner.model.CollectError` records naming the API
and the AWS error code; they never become passes.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Mapping

from checks.aws.session import parse_chain
from scanner.errors import UsageError
from scanner.model import CollectError, Collection, Target
from scanner.provider import CollectContext, Provider, TargetForm

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_CONNECTION_OPTIONS = ("profile", "regions", "role_arn", "external_id", "session_name", "role_chain",
                       "max_attempts", "jobs", "concurrency")
# Collectors that wait on slow work (the credential report, nine reads per bucket) start first.
_SLOW_FIRST = ("aws.iam.user", "aws.iam.root", "aws.s3.bucket")


def _caller_account(options: Mapping[str, Any]) -> str | None:
    """The account the target's credentials belong to (``sts:GetCallerIdentity``); None when unknown.

    Asked once per target while planning, with few retries; when it fails the target keeps a
    spec-derived id and its collection reports the reason (never a pass).
    """
    from checks.aws.session import AwsSession, call

    regions = list(options.get("regions") or [])
    try:
        attempts = min(2, int(options.get("max_attempts") or 2))
        session = AwsSession(options.get("profile"), max_attempts=attempts,
                             default_region=regions[0] if regions else None)
        return str(call(session.client("sts"), "GetCallerIdentity")["Account"])
    except Exception:  # no credentials, missing profile, unreachable endpoint: reported by collect
        return None


def _known_account(options: Mapping[str, Any]) -> str | None:
    """The account id an Organization listing already gave (verified again when collecting)."""
    value = str(options.get("account_id") or "")
    return value if re.fullmatch(r"\d{12}", value) else None


class AwsProvider(Provider):
    """Collects AWS account resources through boto3 (read-only calls only)."""

    name = "aws"
    target_forms = (
        TargetForm("aws://[PROFILE][/REGION[,REGION...]]", "aws://prod/us-east-1,us-west-2",
                   "one AWS account: a profile from ~/.aws/config (default: the boto3 credential chain) "
                   "and the regions to scan (default: every enabled region)"),
        TargetForm("aws-org://[PROFILE][/REGION[,REGION...]]", "aws-org://org-admin/us-east-1",
                   "every active account of an AWS Organization, listed with the profile's credentials and "
                   "scanned through a role in each (role_name, default OrganizationAccountAccessRole)"),
    )
    default_profile = "aws-foundations"
    resource_modules: ClassVar[tuple[str, ...]] = ("checks.aws.iam", "checks.aws.s3", "checks.aws.ec2", "checks.aws.logging", "checks.aws.data")
    resource_modules += ("checks.aws.iam_entities", "checks.aws.accessanalyzer", "checks.aws.organizations",
                         "checks.aws.secretsmanager", "checks.aws.acm", "checks.aws.ssm")  # identity, keys, secrets
    resource_modules += ("checks.aws.ebs", "checks.aws.vpc", "checks.aws.awslambda", "checks.aws.containers",
                         "checks.aws.elb", "checks.aws.autoscaling")  # compute and network
    resource_modules += ("checks.aws.rds", "checks.aws.dynamodb", "checks.aws.efs", "checks.aws.messaging",
                         "checks.aws.opensearch", "checks.aws.redshift", "checks.aws.elasticache",
                         "checks.aws.backup")  # data services
    resource_modules += ("checks.aws.cloudwatch", "checks.aws.detection", "checks.aws.cloudfront",
                         "checks.aws.apigateway", "checks.aws.route53", "checks.aws.wafv2")  # monitoring and edge

    def parse_target(self, spec: str, options: Mapping[str, Any]) -> list[Target] | None:
        if spec.startswith("aws-org://"):
            from checks.aws.org_target import org_targets

            return org_targets(spec, options, self._target)
        if not spec.startswith("aws://"):
            return None
        return self._target(spec, options)

    def _target(self, spec: str, options: Mapping[str, Any], identify: bool = True) -> list[Target]:
        """The target of an ``aws://`` spec; ``identify=False`` leaves the account unknown (no call)."""
        profile, _, region_part = spec[len("aws://"):].partition("/")
        regions = [r.strip() for r in region_part.split(",") if r.strip()] or list(options.get("regions") or [])
        for region in regions:
            if not _REGION.match(str(region)):
                raise UsageError(f"{spec}: {region!r} is not an AWS region name (e.g. us-east-1)")
        for name in ("jobs", "concurrency"):
            value = options.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 256):
                raise UsageError(f"{spec}: {name} must be a whole number from 1 to 256 (got {value!r})")
        profile_name: str | None = profile or options.get("profile") or None
        try:
            chain = parse_chain(options)
        except (KeyError, TypeError) as exc:
            raise UsageError(f"{spec}: role_chain entries need a role_arn ({exc})") from None
        for hop in chain:
            if not hop.role_arn.startswith("arn:") or ":role/" not in hop.role_arn:
                raise UsageError(f"{spec}: {hop.role_arn!r} is not an IAM role ARN")
        opts = {k: options[k] for k in _CONNECTION_OPTIONS if k in options}
        opts.update(profile=profile_name, regions=regions,
                    role_chain=[{"role_arn": h.role_arn, "external_id": h.external_id,
                                 "session_name": h.session_name} for h in chain])
        opts.pop("role_arn", None)
        # The id names the account, so that scans of different accounts never share one in history
        # and diff: the last role's account, else the one the credentials belong to. The profile
        # (or role) is the label.
        label = chain[-1].role_arn if chain else (profile_name or os.environ.get("AWS_PROFILE") or "default")
        account = chain[-1].role_arn.split(":")[4] if chain else (
            _known_account(options) or (_caller_account(opts) if identify else None))
        if account:
            opts["account_id"] = account
        ident = account or label  # credentials that do not work now: the collection reports why
        tid = f"aws://{ident}" + (f"/{','.join(regions)}" if region_part else "")
        extra = {k: v for k, v in options.items() if k not in _CONNECTION_OPTIONS and k != "account_id"}
        return [Target(id=tid, kind="aws", address=spec, name=str(options.get("name") or label),
                       options=opts, vars=extra)]

    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        from checks.aws.runner import run_collection

        if target.options.get("org_error"):  # aws-org:// whose accounts could not be listed
            return Collection(fatal=str(target.options["org_error"]),
                              facts={"organization": {"spec": target.address, "error": target.options["org_error"]}})
        kinds = {k.name: k for k in self.kinds()}
        wanted = [t for t in kinds if t in types]
        unknown = sorted(set(types) - set(kinds))
        out = run_collection(target.options, wanted, ctx, kinds, _SLOW_FIRST)
        for name in unknown:
            out.errors.append(CollectError(name, f"resource type {name} is not collected by the aws provider"))
        return out

