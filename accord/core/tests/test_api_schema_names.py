"""django-ninja names an OpenAPI component after its schema class: two classes of one name in
two routers silently share one component, and the documented body of one endpoint becomes the
other's. Every schema class in Accord must therefore have a name of its own."""

from collections import defaultdict

from ninja import Schema

import accord.api  # noqa: F401 -- imports every router and its schemas


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_api_schema_class_has_its_own_name():
    modules = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("accord."):
            modules[cls.__name__].add(cls.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}
