"""The generated support table is current, and every torch2trt callable is supported."""

from trtconv import docs, registry


def test_every_torch2trt_callable_has_a_converter():
    """Every callable of torch2trt's list that this torch still has is supported (torch 2.13
    dropped torch.avg_pool2d/avg_pool3d, which torch2trt lists)."""
    listed = docs.torch2trt_ops()
    missing = sorted(t for t in set(listed) - set(registry.supported_ops()) if docs.exists(t))
    assert not missing, f"{len(missing)} torch2trt callables lack a converter: {missing}"
    assert len([t for t in listed if not docs.exists(t)]) <= 2


def test_support_table_is_generated_from_the_registry():
    assert docs.SUPPORT_MD.read_text() == docs.support_table(), (
        "docs/support.md is stale: run `python -m trtconv.docs`")
