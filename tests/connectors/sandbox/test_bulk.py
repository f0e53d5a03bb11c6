"""The bulk seed for benchmarks: copies of a stored document under new ids, numbers and change times."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest

from connectors.sandbox.client import SandboxAdminError
from connectors.sandbox.testing import SandboxServer, running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


def test_quickbooks_copies_get_the_next_ids_their_numbers_and_spaced_change_times(sandbox: SandboxServer) -> None:
    ids = sandbox.admin.bulk_copies("demo-qbo", "Bill", "130", 3, {"DocNumber": "BULK-{n:03d}"}, spacing_seconds=2)
    assert len(set(ids)) == 3 and all(i.isdigit() and int(i) > 142 for i in ids)
    copies = [sandbox.admin.document("demo-qbo", "Bill", i) for i in ids]
    assert [c["body"]["DocNumber"] for c in copies] == ["BULK-001", "BULK-002", "BULK-003"]
    assert [c["body"]["Id"] for c in copies] == ids
    assert copies[0]["body"]["TotalAmt"] == sandbox.admin.document("demo-qbo", "Bill", "130")["body"]["TotalAmt"]
    assert [round(b["updated"] - a["updated"]) for a, b in pairwise(copies)] == [2, 2]
    assert copies[0]["body"]["MetaData"]["LastUpdatedTime"] != copies[2]["body"]["MetaData"]["LastUpdatedTime"]


def test_xero_copies_get_new_guids(sandbox: SandboxServer) -> None:
    source = sandbox.admin.documents("demo-xero", entity="Invoice")[0]
    ids = sandbox.admin.bulk_copies("demo-xero", "Invoice", source["id"], 2, {"InvoiceNumber": "X-{n}"})
    bodies = [sandbox.admin.document("demo-xero", "Invoice", i)["body"] for i in ids]
    assert [b["InvoiceID"] for b in bodies] == ids and source["id"] not in ids
    assert [b["InvoiceNumber"] for b in bodies] == ["X-1", "X-2"]


def test_an_unknown_template_is_a_400(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxAdminError) as caught:
        sandbox.admin.bulk_copies("demo-qbo", "Bill", "999999", 1, {})
    assert caught.value.status == 400
