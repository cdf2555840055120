#!/usr/bin/env python3
"""Validate a SARIF file against the SARIF 2.1.0 JSON schema.

usage: sarif_validate.py FILE [--schema PATH]

Exit status: 0 valid; 1 invalid (the validation error is printed); 2 usage error or an
unreadable/unparsable file; 77 python3-jsonschema is not installed (callers may skip).
A helper for tests (the unit tests and e2e scripts call it), not a test itself.
"""
import argparse
import json
import sys

DEFAULT_SCHEMA = "/work/shared/reference/sarif-schema-2.1.0.json"
EXIT_SKIP = 77


def load_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"sarif_validate: cannot read {what} {path}: {e}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description="Validate a SARIF 2.1.0 file.")
    parser.add_argument("file")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA)
    args = parser.parse_args()

    try:
        import jsonschema
    except ImportError:
        print("sarif_validate: python3-jsonschema is not installed", file=sys.stderr)
        return EXIT_SKIP

    schema = load_json(args.schema, "schema")
    document = load_json(args.file, "SARIF file")
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        print(f"{args.file}: {where}: {error.message}", file=sys.stderr)
    if errors:
        return 1
    print(f"{args.file}: valid SARIF 2.1.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
