"""A bounded fuzz of /api/v1 (schemathesis, in process): every operation, valid and invalid data, with and
without tokens of three roles and a reporter's PIN; no 5xx, and every answer as the OpenAPI document says.

The full run is ``bench/fuzz.py --cases 1000`` (see tests/security/fuzzing.py).
"""

import pytest

from tests.security.fuzzing import fuzz_operation, load_schema
from web.api.openapi import document

# Examples per operation, caller and mode: about 380 cases in all, deterministic (derandomized).
MAX_EXAMPLES = 3
OPERATIONS = [f"{method.upper()} {path}" for path, ops in document()["paths"].items() for method in ops
              if method in ("get", "post", "put", "patch", "delete")]
# schemathesis leaves out the document it was loaded from; it takes no input anyway.
SCHEMA_ITSELF = "GET /openapi.json"
FUZZED = [label for label in OPERATIONS if label != SCHEMA_ITSELF]


@pytest.fixture(scope="module")
def schema(world):
    """Return the API's document as schemathesis reads it from the running app."""
    return load_schema(world)


def test_the_fuzz_covers_every_operation_the_app_serves(world, schema):
    served = {f"{m} {r.rule.removeprefix('/api/v1')}".replace("<int:", "{").replace("<", "{").replace(">", "}")
              for r in world.app.url_map.iter_rules() if r.rule.startswith("/api/v1/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert served == set(OPERATIONS)
    assert sorted(result.ok().label for result in schema.get_all_operations()) == sorted(FUZZED)


@pytest.mark.parametrize("label", FUZZED)
def test_no_generated_request_breaks_the_api_or_its_document(world, schema, label):
    tally = fuzz_operation(world, schema, label, MAX_EXAMPLES)
    assert tally.cases >= 2, tally.as_dict()
    assert not any(status >= 500 for status in tally.statuses), tally.as_dict()
    assert not tally.failures, "\n".join(f"{kind} ×{count}: {tally.examples[kind]}"
                                         for kind, count in tally.failures.items())
