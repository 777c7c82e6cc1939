#!/usr/bin/env python3
"""The contract check: a live zhiyuan server fuzzed by schemathesis against its own document.

Starts the given binary on the given database, seeds a small world through the API (an
organisation with an admin and an approved member, a campaign, a published activity, a pending
and an approved service record), then runs schemathesis with every check, a fixed seed, once as
the federation admin and once as the volunteer. Operations on one resource by id are pointed at
the seeded objects, so they are exercised on real rows and not only on 404s.

    python3 .ci/contract.py --binary target/release/zhiyuan --database-url sqlite://... \
        --st path/to/st [--max-examples N] [--seed N]

Exit status 0 only when every run is clean. Standard library only (schemathesis is the one
dependency, installed by .ci/contract into its own virtual environment).
"""

import argparse
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone

ADMIN = ("admin", "contract-admin-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str):
        self.base = base

    def call(self, method, path, token=None, body=None, expect=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, raw = res.status, res.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        if status not in expect:
            raise SystemExit(f"seeding: {method} {path} answered {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else None


    def upload(self, path, token, name, content):
        """A multipart upload with one `file` part."""
        boundary = "contract-boundary-7f3a"
        data = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        req.add_header("content-type", f"multipart/form-data; boundary={boundary}")
        req.add_header("authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())


# The smallest PNG signature and header chunk: enough for the server to judge the type.
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"


def resident_id(birth: str, seq: int) -> str:
    first17 = f"440781{birth.replace('-', '')}{seq % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


def register(api: Api, n: int) -> dict:
    body = {
        "mobile": f"1390000{n:04d}",
        "password": "contract-volunteer-1",
        "real_name": "陈小明",
        "id_type": "resident_id",
        "id_number": resident_id("1990-05-17", 2 * n + 1),
        "gender": "male",
        "birth_date": "1990-05-17",
        "political_status": "masses",
        "town": "台城街道",
        "skills": ["first_aid"],
    }
    return api.call("POST", "/api/v1/auth/register", body=body)


def seed(api: Api) -> dict:
    """A small world through the API; returns the ids and tokens the runs need."""
    admin = api.call("POST", "/api/v1/auth/login", body={"login": ADMIN[0], "password": ADMIN[1]})
    fed = admin["access_token"]
    team = api.call("POST", "/api/v1/teams", fed, {"name": "台城街道志愿服务队", "kind": "service_team", "town": "台城街道"})
    team_admin = register(api, 1)
    member = register(api, 2)
    api.call("POST", f"/api/v1/teams/{team['id']}/admins", fed, {"account_id": team_admin["volunteer"]["account_id"]})
    member_token = member["tokens"]["access_token"]
    member_id = member["volunteer"]["id"]
    api.call("POST", f"/api/v1/teams/{team['id']}/members", member_token, {})
    api.call("PATCH", f"/api/v1/teams/{team['id']}/members/{member_id}", fed, {"status": "approved"})
    today = date.today()
    campaign = api.call("POST", "/api/v1/campaigns", fed, {
        "theme": "践行雷锋精神",
        "starts_on": (today - timedelta(days=30)).isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat(),
        "categories": ["community_service"],
    })
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    activity = api.call("POST", "/api/v1/activities", fed, {
        "team_id": team["id"],
        "campaign_id": campaign["id"],
        "title": "社区环境清洁",
        "category": "community_service",
        "town": "台城街道",
        "address": "台城街道办事处",
        "starts_at": start.isoformat().replace("+00:00", "Z"),
        "ends_at": (start + timedelta(hours=3)).isoformat().replace("+00:00", "Z"),
        "capacity": 20,
    })
    api.call("POST", f"/api/v1/activities/{activity['id']}/publish", fed)
    signup = api.call("POST", f"/api/v1/activities/{activity['id']}/signups", member_token)
    records = []
    for minutes in (120, 90):
        records.append(api.call("POST", "/api/v1/service-records", fed, {
            "volunteer_id": member_id,
            "team_id": team["id"],
            "service_date": (today - timedelta(days=3)).isoformat(),
            "minutes": minutes,
            "content": "社区清洁",
        }))
    api.call("POST", f"/api/v1/service-records/{records[0]['id']}/approve", fed, {})
    correction = api.call("POST", f"/api/v1/service-records/{records[0]['id']}/correction-requests", member_token, {"reason": "少记了半小时", "minutes": 150})
    certificate = api.call("POST", "/api/v1/certificates", fed, {"team_id": team["id"], "volunteer_id": member_id})
    proof = api.call("POST", f"/api/v1/volunteers/{member_id}/service-proofs", member_token, {
        "team_id": team["id"],
        "from": (today - timedelta(days=30)).isoformat(),
        "to": today.isoformat(),
    })
    photo = api.upload("/api/v1/files", fed, "photo.png", PNG)
    report = api.call("POST", f"/api/v1/campaigns/{campaign['id']}/reports", fed, {
        "team_id": team["id"], "summary": "开展社区清洁三次", "photos": [photo["id"]],
    })
    project_body = {
        "team_id": team["id"], "campaign_id": campaign["id"], "name": "关爱独居老人",
        "category": "community_service", "summary": "上门探访", "goals": "每月探访",
        "beneficiaries": "独居老人", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(), "budget_yuan": "12800.50",
        "member_count": 12,
    }
    project = api.call("POST", "/api/v1/project-applications", fed, project_body)
    submitted = api.call("POST", "/api/v1/project-applications", fed, project_body)
    api.call("POST", f"/api/v1/project-applications/{submitted['id']}/submit", fed)
    client = api.call("POST", "/api/v1/api-clients", fed, {"name": "江门志愿服务平台", "scopes": ["sync:read"]})
    # A picture in published news is public: `GET /files/{id}` is pointed at it, so both roles
    # read it (the report's photo is the organisation's, and a volunteer's GET of it is a 404
    # that schemathesis's stateful phase takes for "created resource not found").
    news_photo = api.upload("/api/v1/files", fed, "news.png", PNG)
    api.call("POST", f"/api/v1/teams/{team['id']}/news", fed, {
        "title": "社区清洁活动", "text": "志愿者清理了街道", "images": [news_photo["id"]],
    })
    # A subscription (to a public address the run never reaches) and one delivery of it.
    webhook = api.call("POST", "/api/v1/webhooks", fed, {
        "url": "https://203.119.1.1/hooks/zhiyuan", "events": ["activity.published"],
    })
    second = api.call("POST", "/api/v1/activities", fed, {
        "team_id": team["id"], "title": "河道巡查", "category": "community_service",
        "starts_at": start.isoformat().replace("+00:00", "Z"),
        "ends_at": (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        "capacity": 10, "town": "台城街道", "address": "台城河",
    })
    api.call("POST", f"/api/v1/activities/{second['id']}/publish", fed)
    delivery = api.call("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries", fed)["items"][0]
    return {
        "webhook": webhook["id"],
        "delivery": delivery["id"],
        "api_client": client["id"],
        "file": news_photo["id"],
        "report": report["id"],
        "project": project["id"],
        "submitted_project": submitted["id"],
        "fed": fed,
        "member": member_token,
        "team": team["id"],
        "member_volunteer": member_id,
        "team_admin_account": team_admin["volunteer"]["account_id"],
        "campaign": campaign["id"],
        "activity": activity["id"],
        "signup": signup["id"],
        "pending_record": records[1]["id"],
        "approved_record": records[0]["id"],
        "correction_request": correction["id"],
        "certificate": certificate["id"],
        "certificate_number": certificate["number"],
        "proof": proof["id"],
        "proof_number": proof["number"],
    }


def toml_string(value: str) -> str:
    return json.dumps(value)


# Operations whose requests can be well formed by the document and still be refused with 400 for
# a rule JSON Schema cannot state: a check across fields, a checksum, or the existence of an
# object named in the body. For these alone, a 400 to schema-valid data is not a failure; every
# other check still applies to them, and every other operation must accept what the document
# allows.
BUSINESS_RULES = {
    "register": "ID-number checksum, birth date and gender agree with the ID, guardians of minors",
    "change_password": "the current password must be right",
    "update_volunteer": "identity fields only by federation admins and with a reason; ID checksum",
    "create_team": "the parent organisation must exist; one federation",
    "update_team": "the new parent must exist and not be inside the organisation",
    "add_member": "the volunteer must exist",
    "grant_team_admin": "the account must exist",
    "create_activity": "ends after it starts, deadline before the end, coordinates in pairs, online without an address",
    "update_activity": "the same rules on the edited activity",
    "check_in": "the rotating code must be current; code or volunteer_id by role",
    "check_out": "the rotating code must be current; code or volunteer_id by role",
    "create_campaign": "ends on or after it starts",
    "update_campaign": "ends on or after it starts",
    "create_service_record": "the volunteer and organisation must exist; the day not in the future",
    "resolve_correction_request": "accepting needs minutes, given or proposed",
    "issue_certificate": "the volunteer and organisation must exist",
    "create_service_proof": "the organisation must exist; the period ends on or after it starts",
    "file_report": "the organisation must exist; photos must be files the caller uploaded",
    "update_report": "photos must be files the caller uploaded or the report has",
    "create_project": "ends on or after it starts; campaign, activities and attachments must exist and be the caller's",
    "update_project": "the same rules on the edited application",
    "review_project": "a comment is required to reject or return",
    "create_post": "the activity must exist; images must be files the caller uploaded",
    "create_training": "the volunteer and organisation must exist; the activity must be the organisation's; not in the future",
    "create_commendation": "the subject must exist as the kind named",
    "publish_news": "the activity must be the organisation's, the campaign must exist; images the caller's",
    "stats_overview": "the organisation named must exist; `to` not before `from`",
    "campaign_stats": "the organisation named must exist",
    "list_service_records": "`after` must be a cursor the list returned",
    "list_own_service_records": "`after` must be a cursor the list returned",
    "list_volunteers": "`after` must be a cursor the list returned",
    "list_members": "`after` must be a cursor the list returned",
    "list_correction_requests": "`after` must be a cursor the list returned",
    "wechat_login": "the code must be one WeChat issued (the fake WeChat here refuses every code)",
    "bind_wechat": "the ticket must be one a `wechat_not_bound` answer gave",
    "sync_volunteers": "`cursor` must be a cursor this feed returned",
    "sync_teams": "`cursor` must be a cursor this feed returned",
    "sync_activities": "`cursor` must be a cursor this feed returned",
    "sync_service_records": "`cursor` must be a cursor this feed returned",
    "create_webhook": "the URL's host must resolve, and to a public address",
    "update_webhook": "the URL's host must resolve, and to a public address",
    "import_volunteers": "rows are checked one by one (any object is a row), but no text may hold NUL",
    "import_service_records": "rows are checked one by one (any object is a row), but no text may hold NUL",
}

# Statuses an operation answers to schema-valid data beyond the business rules: an upload's
# bytes are judged by their content (415 unless PDF, JPEG, PNG or WebP), which no schema states.
CONTENT_RULES = {
    "upload_file": ["415"],
}


# Operations not fuzzed: they end the very session whose token the fuzzer sends, and every call
# after them would be a 401. The Rust tests cover them (tests/instances.rs, the policy matrix),
# each response checked against the document.
NOT_FUZZED = {
    "logout_all": "ends every session of the caller",
}


def operation_parameters(path: str, world: dict) -> dict:
    """The seeded objects an operation on one resource is pointed at."""
    by_prefix = [
        ("/api/v1/teams/{id}", {"id": world["team"], "volunteer_id": world["member_volunteer"], "account_id": world["team_admin_account"]}),
        ("/api/v1/activities/{id}", {"id": world["activity"], "signup_id": world["signup"]}),
        ("/api/v1/campaigns/{id}", {"id": world["campaign"]}),
        ("/api/v1/volunteers/{id}", {"id": world["member_volunteer"]}),
        ("/api/v1/service-records/{id}/approve", {"id": world["pending_record"]}),
        ("/api/v1/service-records/{id}/reject", {"id": world["pending_record"]}),
        ("/api/v1/service-records/{id}", {"id": world["approved_record"]}),
        ("/api/v1/correction-requests/{id}", {"id": world["correction_request"]}),
        ("/api/v1/certificates/{id}", {"id": world["certificate"]}),
        ("/api/v1/service-proofs/{id}", {"id": world["proof"]}),
        ("/api/v1/verify/certificates/{number}", {"number": world["certificate_number"]}),
        ("/api/v1/verify/proofs/{number}", {"number": world["proof_number"]}),
        ("/api/v1/files/{id}", {"id": world["file"]}),
        ("/api/v1/api-clients/{id}", {"id": world["api_client"]}),
        ("/api/v1/webhooks/{id}", {"id": world["webhook"], "delivery_id": world["delivery"]}),
        ("/api/v1/campaign-reports/{id}", {"id": world["report"]}),
        ("/api/v1/project-applications/{id}/review", {"id": world["submitted_project"]}),
        ("/api/v1/project-applications/{id}", {"id": world["project"]}),
    ]
    names = re.findall(r"\{(\w+)\}", path)
    for prefix, values in by_prefix:
        if path.startswith(prefix):
            return {f"path.{n}": values[n] for n in names if n in values}
    return {}


def config(world: dict, document: dict) -> str:
    """schemathesis.toml: one block per operation (seeded objects, business-rule statuses)."""
    out = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op["operationId"] in NOT_FUZZED:
                out.append("[[operations]]")
                out.append(f"include-operation-id = {toml_string(op['operationId'])}")
                out.append(f"# {NOT_FUZZED[op['operationId']]}")
                out.append("enabled = false")
                out.append("")
                continue
            params = operation_parameters(path, world)
            rule = BUSINESS_RULES.get(op["operationId"])
            content_rule = CONTENT_RULES.get(op["operationId"], [])
            # An If-Match the fuzzer makes up names a version the resource does not have: the
            # documented answer is 412, as for any stale read.
            if_match = any(p.get("in") == "header" and p["name"].lower() == "if-match" for p in op.get("parameters", []))
            # The fuzzer sends short Idempotency-Keys again with other bodies: the documented
            # answers are 422 (reused) and 409 (the first still running).
            keyed = any(p.get("in") == "header" and p["name"].lower() == "idempotency-key" for p in op.get("parameters", []))
            if not params and not rule and not if_match and not content_rule and not keyed:
                continue
            out.append("[[operations]]")
            out.append(f"include-operation-id = {toml_string(op['operationId'])}")
            if params:
                out.append("parameters = { " + ", ".join(f"{toml_string(k)} = {toml_string(v)}" for k, v in params.items()) + " }")
            if rule or if_match or content_rule or keyed:
                statuses = ["2xx", "401", "403", "404", "409", "429"] + content_rule
                if rule:
                    out.append(f"# {rule}")
                    statuses.append("400")
                if if_match:
                    statuses.append("412")
                if keyed:
                    statuses.append("422")
                out.append(f"checks.positive_data_acceptance.expected-statuses = {json.dumps(statuses)}")
            out.append("")
    return "\n".join(out)


class FakeWeChat(http.server.BaseHTTPRequestHandler):
    """WeChat's code2Session refusing every code (40029), so WeChat login answers 400."""

    def do_GET(self):
        body = b'{"errcode":40029,"errmsg":"invalid code"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def fake_wechat() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def wait_ready(base: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--st", required=True)
    ap.add_argument("--max-examples", default="40")
    ap.add_argument("--seed", default="20261129")
    # One worker: CPython 3.11 keeps the AST builder's recursion depth per interpreter, not per
    # thread, so Hypothesis parsing source in two worker threads at once can fail a run with
    # "SystemError: AST constructor recursion depth mismatch" (gh-106905; seen here with two).
    ap.add_argument("--workers", default="1")
    args = ap.parse_args()
    # The runs happen in a scratch directory: paths given relative to here must still work.
    args.binary = os.path.abspath(args.binary)
    args.st = os.path.abspath(args.st)

    workdir = tempfile.mkdtemp(prefix="zhiyuan-contract-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": args.database_url,
        "ZHIYUAN_BIND": f"127.0.0.1:{port}",
        "ZHIYUAN_DATA_DIR": os.path.join(workdir, "data"),
        "ZHIYUAN_BOOTSTRAP_ADMIN": f"{ADMIN[0]}:{ADMIN[1]}",
        "ZHIYUAN_ACCESS_TOKEN_TTL_SECS": "7200",
        "ZHIYUAN_ARGON2_MEMORY_KIB": "1024",
        "ZHIYUAN_LOG": "warn",
        # The limits have their own tests; here they would only turn the fuzzer's calls to 429.
        "ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS": "0",
        "ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS": "0",
        "ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY": "0",
        "ZHIYUAN_WECHAT_APPID": "wx-contract",
        "ZHIYUAN_WECHAT_SECRET": "contract-secret",
        "ZHIYUAN_WECHAT_API_BASE": fake_wechat(),
    })
    log = open(os.path.join(workdir, "server.log"), "w")
    proc = subprocess.Popen([args.binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    failed = False
    try:
        wait_ready(base, proc)
        world = seed(Api(base))
        with urllib.request.urlopen(base + "/api-docs/openapi.json", timeout=10) as res:
            document = json.loads(res.read())
        missing = (set(BUSINESS_RULES) | set(CONTENT_RULES) | set(NOT_FUZZED)) - {op["operationId"] for item in document["paths"].values() for op in item.values()}
        if missing:
            raise SystemExit(f"BUSINESS_RULES names operations the document lacks: {sorted(missing)}")
        cfg = os.path.join(workdir, "schemathesis.toml")
        with open(cfg, "w") as f:
            f.write(config(world, document))
        for role in ("fed", "member"):
            print(f"\n-- schemathesis as {'the federation admin' if role == 'fed' else 'a volunteer'}", flush=True)
            cmd = [
                args.st, "--config-file", cfg, "run", f"{base}/api-docs/openapi.json",
                "--checks", "all",
                "--seed", args.seed,
                "--max-examples", args.max_examples,
                "--workers", args.workers,
                "--header", f"Authorization: Bearer {world[role]}",
                "--suppress-health-check", "all",
                "--request-timeout", "30",
                "--report", "junit",
                "--report-dir", os.path.join(workdir, f"report-{role}"),
            ]
            hooks_env = dict(os.environ)
            hooks_env["SCHEMATHESIS_HOOKS"] = "contract_hooks"
            hooks_env["PYTHONPATH"] = os.path.dirname(os.path.abspath(__file__))
            if subprocess.run(cmd, cwd=workdir, env=hooks_env).returncode != 0:
                failed = True
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    if proc.returncode not in (0, -15) and not failed:
        print(f"the server exited with {proc.returncode}; its log: {log.name}")
    if failed:
        print(f"schemathesis found failures; server log and reports in {workdir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
