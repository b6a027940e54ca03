"""The generated support table is current, and every torch2trt callable is supported."""

from trtconv import docs, registry


def test_every_torch2trt_callable_has_a_converter():
    missing = sorted(set(docs.torch2trt_ops()) - set(registry.supported_ops()))
    assert not missing, f"{len(missing)} torch2trt callables lack a converter: {missing}"


def test_support_table_is_generated_from_the_registry():
    assert docs.SUPPORT_MD.read_text() == docs.support_table(), (
        "docs/support.md is stale: run `python -m trtconv.docs`")
