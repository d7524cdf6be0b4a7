"""The oldest protocol each predefined Elastic Load Balancing security policy accepts (data, not code).

Read from the AWS Elastic Load Balancing user guides' tables of predefined security policies
(Application, Network and Classic Load Balancers). A policy missing here is asked of AWS
(``elasticloadbalancing:DescribeSslPolicies``) for an Application/Network Load Balancer; for a Classic
Load Balancer the listener's negotiation policy attributes (``Protocol-TLSv1.2``...) decide. Order of
protocols, oldest first: SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3.
"""

from __future__ import annotations

PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

_TLS13_12 = ("TLS13-1-2-2021-06", "TLS13-1-2-Res-2021-06", "TLS13-1-2-Ext1-2021-06", "TLS13-1-2-Ext2-2021-06",
             "TLS13-1-2-FIPS-2023-04", "TLS13-1-2-Res-FIPS-2023-04", "TLS13-1-2-Ext0-FIPS-2023-04",
             "TLS13-1-2-Ext1-FIPS-2023-04", "TLS13-1-2-Ext2-FIPS-2023-04",
             "TLS13-1-2-PQ-2025-09", "TLS13-1-2-Res-PQ-2025-09", "TLS13-1-2-Ext1-PQ-2025-09",
             "TLS13-1-2-Ext2-PQ-2025-09", "TLS13-1-2-FIPS-PQ-2025-09", "TLS13-1-2-Res-FIPS-PQ-2025-09",
             "TLS13-1-2-Ext0-FIPS-PQ-2025-09", "TLS13-1-2-Ext1-FIPS-PQ-2025-09", "TLS13-1-2-Ext2-FIPS-PQ-2025-09",
             "TLS-1-2-2017-01", "TLS-1-2-Ext-2018-06", "FS-1-2-2019-08", "FS-1-2-Res-2019-08", "FS-1-2-Res-2020-10")
_TLS13_13 = ("TLS13-1-3-2021-06", "TLS13-1-3-FIPS-2023-04", "TLS13-1-3-PQ-2025-09", "TLS13-1-3-FIPS-PQ-2025-09")
_TLS11 = ("TLS13-1-1-2021-06", "TLS13-1-1-FIPS-2023-04", "TLS-1-1-2017-01", "FS-1-1-2019-08")
_TLS10 = ("TLS13-1-0-2021-06", "TLS13-1-0-FIPS-2023-04", "FS-2018-06", "2016-08", "2015-05", "2015-03", "2015-02",
          "2014-10")
_SSL3 = ("2014-01", "2011-08")

MIN_PROTOCOL: dict[str, str] = {
    **{f"ELBSecurityPolicy-{n}": "TLSv1.3" for n in _TLS13_13},
    **{f"ELBSecurityPolicy-{n}": "TLSv1.2" for n in _TLS13_12},
    **{f"ELBSecurityPolicy-{n}": "TLSv1.1" for n in _TLS11},
    **{f"ELBSecurityPolicy-{n}": "TLSv1" for n in _TLS10},
    **{f"ELBSecurityPolicy-{n}": "SSLv3" for n in _SSL3},
    "ELBSample-ELBDefaultNegotiationPolicy": "SSLv3", "ELBSample-OpenSSLDefaultNegotiationPolicy": "SSLv3",
}
"""Predefined policy name -> the oldest protocol it negotiates."""


def oldest(protocols: list[str]) -> str | None:
    """The oldest of ``protocols`` (names as AWS spells them: TLSv1, TLSv1.2, Protocol-TLSv1.1...)."""
    names = [p.removeprefix("Protocol-") for p in protocols]
    known = [p for p in PROTOCOLS if p in names]
    return known[0] if known else None


def below(protocol: str | None, minimum: str) -> bool | None:
    """Whether ``protocol`` is older than ``minimum``; None when unknown."""
    if protocol not in PROTOCOLS or minimum not in PROTOCOLS:
        return None
    return PROTOCOLS.index(protocol) < PROTOCOLS.index(minimum)
