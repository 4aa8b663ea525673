"""Every environment variable Baton reads, with its default: the table of
docs/deploy.md ("Environment") is this script's output.

    python deploy/env_reference.py            # the markdown table
    python deploy/env_reference.py --names    # one name per line
    python deploy/env_reference.py --write    # the table into docs/deploy.md

It reads the source, not the running settings: ``env.str("NAME", default=…)``
and its kin in config/ (settings_test.py aside), ``os.environ.get("NAME")``
there and in deploy/gunicorn.conf.py. tests/test_config_checks.py fails when
docs/deploy.md misses one.
"""

import re
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted(
        path
        for path in (PROJECT / "config").rglob("*.py")
        if path.name != "settings_test.py"
    ),
    PROJECT / "deploy" / "gunicorn.conf.py",
]
# env("X"), env.str("X", …), environ.Env().str("X", …), os.environ.get("X", …)
CALL = re.compile(
    r"(?:\benv|Env\(\)|os\.environ)(?:\.(?P<cast>\w+))?\(\s*\"(?P<name>[A-Z][A-Z0-9_]+)\""
)
# environ.Env(DEBUG=(bool, False), …): the schema's defaults.
SCHEMA = re.compile(
    r"^\s+(?P<name>[A-Z][A-Z0-9_]+)=\((?P<cast>\w+), (?P<default>.+)\),$"
)
# Only the settings' own reads: DJANGO_SETTINGS_MODULE is set by the entry points.
IGNORED = {"DJANGO_SETTINGS_MODULE"}


def _default(source: str, start: int) -> str:
    """The text of the call's ``default=`` argument (or os.environ.get's second)."""
    depth, end = 1, start
    while end < len(source) and depth:
        depth += {"(": 1, ")": -1}.get(source[end], 0)
        end += 1
    arguments = source[start : end - 1]
    match = re.search(r"default=(.+)", arguments, re.S)
    if match is None:
        parts = arguments.split(",", 1)
        return parts[1].strip() if len(parts) == 2 and parts[1].strip() else ""
    return " ".join(match.group(1).split()).rstrip(",")


def variables() -> dict[str, dict]:
    found: dict[str, dict] = {}
    sources = {path: path.read_text() for path in SOURCES}
    for path, source in sources.items():
        for line in source.splitlines():
            schema = SCHEMA.match(line)
            if schema:
                found[schema["name"]] = {
                    "default": schema["default"],
                    "file": str(path.relative_to(PROJECT)),
                }
    for path, source in sources.items():
        for match in CALL.finditer(source):
            if match["name"] in IGNORED:
                continue
            entry = found.setdefault(
                match["name"],
                {"default": "", "file": str(path.relative_to(PROJECT))},
            )
            entry["default"] = entry["default"] or _default(source, match.end())
    return dict(sorted(found.items()))


GUIDE = PROJECT / "docs" / "deploy.md"
START = "<!-- generated: python deploy/env_reference.py -->\n"
END = "\n<!-- end generated -->"


def table() -> str:
    rows = ["| variable | default | read in |", "| --- | --- | --- |"]
    for name, entry in variables().items():
        default = entry["default"].replace("|", "\\|") or "(empty)"
        rows.append(f"| `{name}` | `{default}` | {entry['file']} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if "--names" in argv:
        print("\n".join(variables()))
    elif "--write" in argv:
        guide = GUIDE.read_text()
        before, rest = guide.split(START, 1)
        _old, after = rest.split(END, 1)
        GUIDE.write_text(before + START + table() + END + after)
    else:
        print(table())


if __name__ == "__main__":
    main(sys.argv[1:])
