import torch
from harness import Lambda

import trtconv
from trtconv import cli


def test_ops_lists_registered_targets(capsys):
    assert cli.main(["ops"]) == 0
    assert "torch.nn.functional.relu" in capsys.readouterr().out.split()


def test_info_describes_a_saved_module(tmp_path, capsys):
    x = torch.randn(2, 3)
    m = trtconv.convert(Lambda(torch.relu), [x], backend="reference", input_names=["image"])
    path = tmp_path / "m.pth"
    torch.save(m.state_dict(), path)
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "backend=reference" in out and "inputs:  image" in out


def test_info_of_a_non_trtmodule_file(tmp_path, capsys):
    path = tmp_path / "w.pth"
    torch.save({"weight": torch.ones(1)}, path)
    assert cli.main(["info", str(path)]) == 1
    assert "no TRTModule state" in capsys.readouterr().err
