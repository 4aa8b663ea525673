"""JSON Merge Patch (RFC 7396) on item data, and what it changed."""

__all__ = ["changed_paths", "merge_patch"]


def merge_patch(target, patch, schema: dict | None = None):
    """``target`` with ``patch`` applied: objects merge member by member, a
    ``null`` member removes the key, anything else replaces the value.

    One departure from the RFC, for keys the item's JSON Schema requires (a form
    field's ``value``): ``null`` there means "not answered", so the key stays
    with a null value instead of disappearing and failing validation."""
    if not isinstance(patch, dict):
        return patch
    schema = schema if isinstance(schema, dict) else {}
    required = set(schema.get("required") or ())
    properties = schema.get("properties") or {}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            if key in required:
                result[key] = None
            else:
                result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, properties.get(key))
    return result


def changed_paths(before: dict, after: dict) -> dict[str, list]:
    """Top-level keys whose value differs, as ``{key: [old, new]}`` (an absent
    key and a null one are the same: neither holds an answer)."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
