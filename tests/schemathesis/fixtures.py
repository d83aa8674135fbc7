"""Every events/ fixture the API answers with a 2xx must be valid against its operation's request
schema in the published OpenAPI document: the positive half of the drift check between the
hand-written readers and the schemas (schemathesis, run beside this, checks the negative half
against the live server). Run by tests/api/contract.rs with the schemathesis venv's Python
(jsonschema-rs is one of schemathesis' own pinned dependencies).

With a third argument, a JSON list of recorded answers `[{method, path, status, body}]` (`path` the
route's pattern), each body must also be valid by its operation's documented response for that
status: the success paths schemathesis cannot reach on its own (a registration's validations,
its deletion, webhook deliveries) are recorded by the contract test and checked here.

Usage: fixtures.py OPENAPI_JSON EVENTS_DIR [ANSWERS_JSON] -> prints "<checked> <skipped> <answers>"
or exits 1 naming each fixture or answer that does not validate.
"""

import base64
import json
import pathlib
import re
import sys

import jsonschema_rs


def main() -> int:
    doc = json.loads(pathlib.Path(sys.argv[1]).read_text())
    events = pathlib.Path(sys.argv[2])
    by_route = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            by_route[(method.upper(), path)] = op
    checked, skipped, problems = 0, 0, []
    for fixture in sorted(events.glob("*/*.json")):
        status = re.search(r"\.(\d{3})\.json$", fixture.name)
        if not status or not status.group(1).startswith("2"):
            continue
        event = json.loads(fixture.read_text())
        route = event.get("routeKey", "")
        if " " not in route:
            continue
        method, path = route.split(" ", 1)
        op = by_route.get((method, path))
        schema = op and op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        raw = event.get("body")
        content_type = {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("content-type", "")
        if not schema or raw is None or "json" not in content_type:
            skipped += 1
            continue
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode()
        # The events test fills ids in when it runs a fixture; any well-formed id stands in here.
        body = json.loads(re.sub(r"\{\{[A-Z_]+_ID\}\}", "65a1b2c3d4e5f60718293a4b", raw))
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"], "allOf": [schema]}
        for e in jsonschema_rs.Draft202012Validator(root).iter_errors(body):
            problems.append(f"{fixture.relative_to(events)}: {'/'.join(map(str, e.instance_path)) or 'body'}: {e.message[:200]}")
        checked += 1
    answers = json.loads(pathlib.Path(sys.argv[3]).read_text()) if len(sys.argv) > 3 else []
    for a in answers:
        op = by_route.get((a["method"], a["path"]))
        response = op and (op["responses"].get(str(a["status"])) or op["responses"].get("default"))
        if response and "$ref" in response:
            response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema = response and response.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            problems.append(f"{a['method']} {a['path']} {a['status']}: not documented")
            continue
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"], "allOf": [schema]}
        for e in jsonschema_rs.Draft202012Validator(root).iter_errors(a["body"]):
            problems.append(f"{a['method']} {a['path']} {a['status']}: {'/'.join(map(str, e.instance_path)) or 'body'}: {e.message[:200]}")
    if problems:
        print("\n".join(problems))
        return 1
    print(checked, skipped, len(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
