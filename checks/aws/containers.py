"""Container services: EKS clusters (aws.eks.cluster) and ECR repositories (aws.ecr.repository)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.ec2_reach import covers_world, iso
from checks.aws.exposure import WORLD
from checks.aws.kind import AwsKind
from checks.aws.policy_public import public_statements
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _world_cidrs(cidrs: list[str]) -> list[str]:
    """The CIDRs (or the split of them) that cover the whole IPv4 space; empty when they do not."""
    return [c for c in cidrs if c == WORLD["ipv4"]] or (list(cidrs) if covers_world(cidrs, "ipv4") else [])


def collect_clusters(api: Api, region: str | None) -> list[Resource]:
    names = api.list("eks", region, "ListClusters", "clusters")

    def one(name: str) -> Resource:
        arn = api.arn("eks", region, f"cluster/{name}")
        try:
            c = api.call("eks", region, "DescribeCluster", name=name)["cluster"]
        except ApiFailure as failure:  # nothing is known about the cluster
            return Resource(arn, "aws.eks.cluster", {"name": name}, region=region, error=str(failure))
        vpc = c.get("resourcesVpcConfig") or {}
        enabled = sorted({t for g in (c.get("logging") or {}).get("clusterLogging") or [] if g.get("enabled")
                          for t in g.get("types") or []})
        secrets_keys = [(e.get("provider") or {}).get("keyArn") for e in c.get("encryptionConfig") or []
                        if "secrets" in (e.get("resources") or [])]
        attrs: dict[str, Any] = {
            "name": name, "version": c.get("version"), "status": c.get("status"),
            "createdAt": iso(c.get("createdAt")),
            "endpointPublicAccess": vpc.get("endpointPublicAccess"),
            "endpointPrivateAccess": vpc.get("endpointPrivateAccess"),
            "publicAccessCidrs": vpc.get("publicAccessCidrs"),
            "logging_enabled_types": enabled,
            "logging_missing_types": [t for t in LOG_TYPES if t not in enabled],
            "secrets_kms_key": next((k for k in secrets_keys if k), None),
            "Tags": c.get("tags") or {}}
        lost = {}
        if not isinstance(vpc.get("endpointPublicAccess"), bool):
            lost["public_endpoint_world_cidrs"] = "DescribeCluster gave no endpointPublicAccess"
        else:
            # AWS answers 0.0.0.0/0 when a public endpoint has no CIDR list; absent means the same
            cidrs = vpc.get("publicAccessCidrs") or [WORLD["ipv4"]]
            attrs["public_endpoint_world_cidrs"] = _world_cidrs(cidrs) if vpc["endpointPublicAccess"] else []
        return Resource(c.get("arn") or arn, "aws.eks.cluster", attrs, region=region, attr_errors=lost)

    return api.fan_out(one, names)


_REPO = "aws.ecr.repository"
_POLICY = ("policy", "public_statements", "policy_public")


def collect_repositories(api: Api, region: str | None) -> list[Resource]:
    repos = api.list("ecr", region, "DescribeRepositories", "repositories")
    policy, lifecycle = api.wants(_REPO, *_POLICY), api.wants(_REPO, "lifecycle_policy_present")

    def one(repo: dict[str, Any]) -> Resource:
        name = repo["repositoryName"]
        enc = repo.get("encryptionConfiguration") or {}
        scan = (repo.get("imageScanningConfiguration") or {}).get("scanOnPush")
        attrs: dict[str, Any] = {"repositoryName": name, "imageTagMutability": repo.get("imageTagMutability"),
                                 "scanOnPush": scan, "encryptionType": enc.get("encryptionType"),
                                 "kmsKey": enc.get("kmsKey")}
        lost: dict[str, str] = {}
        if not isinstance(scan, bool):
            lost["scanOnPush"] = "DescribeRepositories gave no scan-on-push setting"
        if policy:
            try:
                got = api.get("ecr", region, "GetRepositoryPolicy", absent=("RepositoryPolicyNotFoundException",),
                              repositoryName=name, registryId=repo["registryId"])
                text = (got or {}).get("policyText")
                public = public_statements(text) if text else []
                if public is None:
                    lost.update(dict.fromkeys(_POLICY[1:], unknown_reason("the repository policy")))
                attrs.update(policy=text, public_statements=public, policy_public=None if public is None else bool(public))
            except ApiFailure as failure:
                lost.update(dict.fromkeys(_POLICY, str(failure)))
        if lifecycle:
            try:
                got = api.get("ecr", region, "GetLifecyclePolicy", absent=("LifecyclePolicyNotFoundException",),
                              repositoryName=name, registryId=repo["registryId"])
                attrs["lifecycle_policy_present"] = bool((got or {}).get("lifecyclePolicyText"))
            except ApiFailure as failure:
                lost["lifecycle_policy_present"] = str(failure)
        return Resource(repo["repositoryArn"], _REPO, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, repos)


@resources.register("aws.eks.cluster")
class EksCluster(AwsKind):
    description = "An EKS cluster: Kubernetes version, API endpoint access, control-plane logging, secrets encryption."
    attributes = (
        A("name", "string", "cluster name"), A("version", "string", "Kubernetes version (1.31...)"),
        A("status", "string", "ACTIVE, CREATING..."), A("createdAt", "string", "created (ISO 8601)"),
        A("endpointPublicAccess", "boolean", "the API server endpoint is reachable from the internet"),
        A("endpointPrivateAccess", "boolean", "the API server endpoint is reachable from the VPC"),
        A("publicAccessCidrs", "list", "the sources allowed to the public endpoint"),
        A("public_endpoint_world_cidrs", "list", "the publicAccessCidrs that together open the public endpoint to "
          "every IPv4 address (0.0.0.0/0, or ranges covering it); empty when the endpoint is private or narrowed"),
        A("logging_enabled_types", "list", "control-plane log types sent to CloudWatch Logs"),
        A("logging_missing_types", "list", f"the log types of {', '.join(LOG_TYPES)} that are not enabled"),
        A("secrets_kms_key", "string", "KMS key encrypting Kubernetes secrets (envelope encryption); null when none"),
        A("Tags", "map", "tags as {key: value}"))
    permissions = ("eks:ListClusters", "eks:DescribeCluster")
    build = staticmethod(collect_clusters)


@resources.register(_REPO)
class EcrRepository(AwsKind):
    description = "An ECR repository: scanning, tag mutability, encryption, repository and lifecycle policies."
    attributes = (
        A("repositoryName", "string", "name"),
        A("imageTagMutability", "string", "MUTABLE, IMMUTABLE, or *_WITH_EXCLUSION"),
        A("scanOnPush", "boolean", "basic scan of each pushed image (repository setting; registry-level "
          "enhanced scanning is not read)"),
        A("encryptionType", "string", "AES256 or KMS (KMS_DSSE)"), A("kmsKey", "string", "KMS key when KMS"),
        A("policy", "string", "repository policy (JSON); null when none"),
        A("public_statements", "list", "Sids of Allow statements for every principal that no condition narrows"),
        A("policy_public", "boolean", "public_statements is not empty"),
        A("lifecycle_policy_present", "boolean", "a lifecycle policy expires old images"))
    permissions = ("ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:GetLifecyclePolicy")
    build = staticmethod(collect_repositories)
