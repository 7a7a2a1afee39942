"""tools/paired_wrong.py: McNemar's counts from two files of wrongly classified test images."""
import json

from scipy.stats import binomtest

from tools import paired_wrong


def write(path, preset, wrong_by_seed, images=20):
    runs = [{"run": f"{preset}-seed{seed}", "preset": preset, "seed": seed,
             "test_images": images, "wrong": wrong} for seed, wrong in wrong_by_seed.items()]
    path.write_text(json.dumps({"runs": runs}))
    return str(path)


def test_each_seed_is_paired_with_the_same_seed_of_the_other_recipe(tmp_path):
    first = write(tmp_path / "j.json", "J", {0: [1, 2, 3], 1: [4]})
    second = write(tmp_path / "i.json", "I", {0: [2, 3, 4, 5, 6, 7, 8], 2: [9]})
    out = tmp_path / "out.json"
    assert paired_wrong.main([first, second, "--out", str(out)]) == 0
    [pair] = json.loads(out.read_text())["runs"]  # seed 1 and seed 2 have no partner
    # only J right: images 4-8 (5); only I right: image 1 (1)
    assert (pair["first"], pair["second"], pair["only_first"], pair["only_second"]) == (
        "J-seed0", "I-seed0", 5, 1)
    assert pair["p"] == binomtest(5, 6, 0.5).pvalue
    assert (pair["first_accuracy"], pair["second_accuracy"]) == (17 / 20, 13 / 20)
