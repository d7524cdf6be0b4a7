"""ACM: aws.acm.certificate (expiry, key algorithm, transparency logging, status, use)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TYPE = "aws.acm.certificate"
# ListCertificates returns RSA_2048 certificates only unless asked for every key type.
KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1")
_BITS = {"RSA_1024": 1024, "RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096, "EC_prime256v1": 256,
         "EC_secp384r1": 384, "EC_secp521r1": 521}


def collect_certificates(api: Api, region: str | None) -> list[Resource]:
    summaries = api.list("acm", region, "ListCertificates", "CertificateSummaryList",
                         Includes={"keyTypes": list(KEY_TYPES)})
    now = datetime.now(timezone.utc)

    def one(summary: dict[str, Any]) -> Resource:
        arn = summary["CertificateArn"]
        try:
            cert = api.call("acm", region, "DescribeCertificate", CertificateArn=arn)["Certificate"]
        except ApiFailure as failure:  # nothing is known about the certificate
            return Resource(arn, _TYPE, {"CertificateArn": arn, "DomainName": summary.get("DomainName")},
                            region=region, error=str(failure))
        not_after = cert.get("NotAfter")
        algo = cert.get("KeyAlgorithm")  # RSA-2048, EC-prime256v1... (DescribeCertificate spelling)
        key_type = str(algo or "").replace("-", "_")
        attrs: dict[str, Any] = {
            "CertificateArn": arn, "DomainName": cert.get("DomainName"), "Type": cert.get("Type"),
            "Status": cert.get("Status"), "KeyAlgorithm": algo,
            "key_family": key_type.split("_")[0] if algo else None,
            "key_bits": _BITS.get(key_type), "NotAfter": not_after.isoformat() if not_after else None,
            "days_until_expiry": (not_after - now).days if isinstance(not_after, datetime) else None,
            "InUseBy": cert.get("InUseBy") or [], "in_use": bool(cert.get("InUseBy")),
        }
        pref = (cert.get("Options") or {}).get("CertificateTransparencyLoggingPreference")
        attrs["transparency_logging"] = None if pref is None else pref != "DISABLED"  # unknown: never a pass
        return Resource(arn, _TYPE, attrs, region=region)

    return api.fan_out(one, summaries)


@resources.register(_TYPE)
class AcmCertificate(AwsKind):
    description = "An ACM certificate (every key type listed), described with DescribeCertificate."
    attributes = (
        A("CertificateArn", "string", "ARN"), A("DomainName", "string", "primary domain name"),
        A("Type", "string", "AMAZON_ISSUED, IMPORTED or PRIVATE"),
        A("Status", "string", "ISSUED, PENDING_VALIDATION, EXPIRED, FAILED, REVOKED..."),
        A("KeyAlgorithm", "string", "RSA-2048, EC-prime256v1..."),
        A("key_family", "string", "RSA or EC"), A("key_bits", "integer", "key size in bits (null when unknown)"),
        A("NotAfter", "datetime", "end of validity (null for a certificate not issued)"),
        A("days_until_expiry", "integer", "whole days from the scan to NotAfter (negative once expired)"),
        A("InUseBy", "list", "ARNs of the resources using it"), A("in_use", "boolean", "InUseBy is not empty"),
        A("transparency_logging", "boolean", "certificate transparency logging is not opted out (null when "
          "DescribeCertificate gives no preference)"),
    )
    permissions = ("acm:ListCertificates", "acm:DescribeCertificate")
    build = staticmethod(collect_certificates)
