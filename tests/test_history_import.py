"""`migrate_schema.py --import-history` against the database of a running server, on both databases: JSON
Lines and CSV (docs/import.md) become searchable History, a re-run adds nothing, bad records are reported
with their line numbers, a malformed file exits non-zero, and a large file is imported in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BACKENDS
from tests.support import ROOT, Api, LiveServer, make_tenant, query

pytestmark = BACKENDS
# Runs the command and prints the peak resident set size (KiB) of it, the child, on the last line.
PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
    " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def run_import(server: LiveServer, path: Path, tenant_id: int, *extra: str) -> subprocess.CompletedProcess[str]:
    target = ["--database-url", server.database_url] if server.database_url else ["--db", server.db_path]
    command = [sys.executable, "migrate_schema.py", *target, "--import-history", str(path), "--tenant", str(tenant_id)]
    return subprocess.run([*command, *extra], cwd=ROOT, capture_output=True, text=True, check=False)


def tenant_of(admin: Api) -> int:
    return int(admin.get("/api/v1/tenant").json()["id"])


def search(admin: Api, words: str) -> list[dict[str, object]]:
    response = admin.get("/admin/api/history", params={"q": words})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def conversation(external_id: str, words: str) -> str:
    return json.dumps(
        {
            "id": external_id,
            "channel": "sms",
            "contact_name": "Ann Lee",
            "contact_handle": "+15550001",
            "source": "oldsystem",
            "messages": [
                {"from": "customer", "at": "2023-05-01T10:00:00Z", "text": f"Where is my {words}?"},
                {"from": "agent", "name": "Bo", "at": "2023-05-01T10:02:00+02:00", "text": "It ships today."},
            ],
        }
    )


def test_jsonl_import_is_searchable_idempotent_and_reports_bad_lines(server: LiveServer, tmp_path: Path) -> None:
    admin, _ = make_tenant(server)
    other, _ = make_tenant(server)
    lines = [
        conversation("t-1", "walrus parcel"),
        "{not json",
        json.dumps({"id": "t-2", "messages": [{"from": "robot", "text": "hi"}]}),
        "",
        conversation("t-3", "narwhal parcel"),
    ]
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(lines) + "\n")
    first = run_import(server, path, tenant_of(admin))
    assert first.returncode == 1, first.stderr  # some records were bad
    assert f"{path}:2: not JSON" in first.stderr
    assert f"{path}:3: message 1: sender must be customer, agent or system, not 'robot'" in first.stderr
    assert "imported 2 conversations, skipped 0 already imported and 2 bad" in first.stdout
    assert "100%" in first.stderr and "rows/s" in first.stderr  # the progress line

    [hit] = search(admin, "walrus")
    assert hit["kind"] == "imported" and hit["channel"] == "sms" and hit["contact_name"] == "Ann Lee"
    transcript = admin.get(f"/admin/api/history/imported/{hit['id']}").json()
    # times in UTC: the agent's reply at 10:02+02:00 came first
    assert (transcript["started_at"], transcript["ended_at"]) == (
        "2023-05-01T08:02:00.000Z",
        "2023-05-01T10:00:00.000Z",
    )
    assert "Bo (agent): It ships today." in transcript["transcript"]
    assert search(other, "walrus") == []  # another tenant's History

    again = run_import(server, path, tenant_of(admin))
    assert "imported 0 conversations, skipped 2 already imported" in again.stdout
    assert len(search(admin, "parcel")) == 2


def test_csv_import_groups_rows_into_conversations(server: LiveServer, tmp_path: Path) -> None:
    admin, _ = make_tenant(server)
    path = tmp_path / "old.csv"
    path.write_text(
        "conversation_id,channel,contact_name,contact_handle,sender,author,sent_at,text,ticket_url\n"
        'c-1,webchat,Cy,cy@example.com,customer,,2023-01-01T09:00:00Z,"My ""toaster"" is\nbroken",http://x/1\n'
        "c-1,webchat,Cy,cy@example.com,agent,Dee,2023-01-01T09:01:00Z,Sorry about the toaster!,http://x/1\n"
        "c-2,webchat,Ed,,customer,,not-a-time,kettle,http://x/2\n"
        "c-2,webchat,Ed,,customer,,,kettle again,http://x/2\n"
        "c-3,messenger,Flo,,customer,,,a blender question,http://x/3\n"
    )
    done = run_import(server, path, tenant_of(admin))
    assert done.returncode == 1, done.stderr
    assert f"{path}:5: sent_at is not an ISO 8601 time: 'not-a-time'; conversation 'c-2' skipped" in done.stderr
    assert "imported 2 conversations" in done.stdout
    [toaster] = search(admin, "toaster")
    transcript = admin.get(f"/admin/api/history/imported/{toaster['id']}").json()["transcript"]
    assert transcript == (
        '[2023-01-01T09:00:00.000Z] Customer: My "toaster" is\nbroken\n'
        "[2023-01-01T09:01:00.000Z] Dee (agent): Sorry about the toaster!"
    )
    assert search(admin, "kettle") == []
    assert [r["channel"] for r in search(admin, "blender")] == ["messenger"]
    assert "skipped 2 already imported" in run_import(server, path, tenant_of(admin)).stdout


def test_malformed_files_and_refusals(server: LiveServer, tmp_path: Path) -> None:
    admin, _ = make_tenant(server)
    headless = tmp_path / "bad.csv"
    headless.write_text("id,body\n1,hello\n")
    refused = run_import(server, headless, tenant_of(admin))
    assert refused.returncode == 2 and "the header lacks conversation_id, sender, text" in refused.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"conversation_id,sender,text\nb-1,customer,fine\nb-2,customer,\xff\xfe\n")
    stopped = run_import(server, binary, tenant_of(admin))
    assert stopped.returncode == 2 and "line 3: not UTF-8" in stopped.stderr
    unknown = tmp_path / "old.txt"
    unknown.write_text("")
    assert "--format jsonl|csv" in run_import(server, unknown, tenant_of(admin)).stderr
    assert "no tenant with id 999999" in run_import(server, headless, 999999).stderr


def test_a_large_file_is_streamed_in_bounded_memory(server: LiveServer, tmp_path: Path) -> None:
    admin, _ = make_tenant(server)
    bound_kib = 80 * 1024
    path = tmp_path / "large.csv"
    # 200,000 rows in 10,000 conversations. Most of each row is an export column the import ignores, so the
    # file is larger than the bound while the indexing work stays small.
    padding = "x" * 470
    with path.open("w") as out:
        out.write("conversation_id,sender,sent_at,text,raw_export\n")
        for row in range(200_000):
            sender = "customer" if row % 2 == 0 else "agent"
            out.write(f"big-{row // 20},{sender},2024-02-01T10:{row % 60:02d}:00Z,order question {row},{padding}\n")
    assert path.stat().st_size > bound_kib * 1024  # reading it whole would exceed the bound on its own
    target = ["--database-url", server.database_url] if server.database_url else ["--db", server.db_path]
    command = [sys.executable, "migrate_schema.py", *target, "--import-history", str(path)]
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command, "--tenant", str(tenant_of(admin))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    assert peak_kib < bound_kib, f"peak RSS {peak_kib} KiB"
    assert "200,000 rows read" in done.stdout and "imported 10,000 conversations" in done.stdout
    rows = query(server, "SELECT count(*) FROM history WHERE tenant_id = ?", tenant_of(admin))
    assert rows == [(10_000,)]
    [hit] = search(admin, "199999")
    assert hit["kind"] == "imported"
