"""Schemathesis hooks for the contract check (loaded through SCHEMATHESIS_HOOKS).

Signed credentials are served as `application/vc` (JSON by the VC Data Model): read them as
JSON, so their documented schema is checked like every other response's.
"""
import json

import schemathesis


@schemathesis.deserializer("application/vc")
def verifiable_credential(ctx, response):
    return json.loads(response.content.decode("utf-8"))
