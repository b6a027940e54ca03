"""Converters of optional packages (torchvision) register once the application imports the
package; trtconv never imports it."""

import sys
import types

import torch

import trtconv
from trtconv import registry


def test_registered_once_the_package_is_imported():
    package = types.ModuleType("trtconv_optional_demo")
    package.double = lambda x: x * 2  # type: ignore[attr-defined]

    def convert_double(ctx, x):
        one = ctx.network.add_identity(ctx.trt(x)).get_output(0)
        return ctx.network.add_elementwise(one, one, trtconv.trt.ElementWiseOperation.SUM
                                           ).get_output(0)

    target = "trtconv_optional_demo.double"
    registry.register_when_imported("trtconv_optional_demo", {target: convert_double})
    try:
        assert target not in registry.supported_ops()
        assert registry.optional_targets()[target] == ("trtconv_optional_demo", convert_double)
        sys.modules["trtconv_optional_demo"] = package
        assert target in registry.supported_ops()

        class Net(torch.nn.Module):
            def forward(self, x):
                return package.double(x) + 1

        x = torch.randn(3)
        converted = trtconv.convert(Net(), [x], backend="reference")
        assert converted.report.converted[target] == 1
        assert torch.allclose(converted(x), x * 2 + 1)
    finally:
        registry.unregister(target)
        sys.modules.pop("trtconv_optional_demo", None)
    assert target not in registry.supported_ops() and target not in registry.optional_targets()
