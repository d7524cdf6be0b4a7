"""Systems Manager: aws.ssm.document (documents owned by the account and who they are shared with)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TYPE = "aws.ssm.document"


def collect_documents(api: Api, region: str | None) -> list[Resource]:
    docs = api.list("ssm", region, "ListDocuments", "DocumentIdentifiers",
                    Filters=[{"Key": "Owner", "Values": ["Self"]}])
    shared = api.wants(_TYPE, "shared_with", "is_public")

    def one(doc: dict[str, Any]) -> Resource:
        name = doc["Name"]
        arn = api.arn("ssm", region, f"document/{name}")
        attrs: dict[str, Any] = {"Name": name, "DocumentType": doc.get("DocumentType"),
                                 "Owner": doc.get("Owner"), "Tags": doc.get("Tags") or []}
        lost: dict[str, str] = {}
        if shared:
            try:
                got = api.call("ssm", region, "DescribeDocumentPermission", Name=name, PermissionType="Share")
                ids = [str(a) for a in got.get("AccountIds") or []]
                attrs.update(shared_with=ids, is_public="all" in (a.lower() for a in ids))
            except ApiFailure as failure:  # unknown sharing is never "private"
                lost.update(shared_with=str(failure), is_public=str(failure))
        return Resource(arn, _TYPE, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, docs)


@resources.register(_TYPE)
class SsmDocument(AwsKind):
    description = "A Systems Manager document owned by the account, with the accounts it is shared with."
    attributes = (
        A("Name", "string", "document name"), A("DocumentType", "string", "Command, Automation..."),
        A("Owner", "string", "owner"),
        A("shared_with", "list", "account ids the document is shared with ('all': public)"),
        A("is_public", "boolean", "shared with 'all' (every AWS account)"),
        A("Tags", "list", "tags"),
    )
    permissions = ("ssm:ListDocuments", "ssm:DescribeDocumentPermission")
    build = staticmethod(collect_documents)
