from __future__ import annotations

import pytest

from kbtool.core.errors import KbInputError
from kbtool.services.packs import load_pack

RULE = """
  - id: official.yuyi
    level: warning
    category: official
    message: 予以是公文腔
    phrases: [予以]
    replace: [给]
"""


def _pack_error(write, text: str, name: str = "p.yml") -> str:
    path = write(name, text)
    with pytest.raises(KbInputError) as info:
        load_pack(str(path))
    return str(info.value)


def test_pack_loads_by_path_with_rule_defaults(write):
    pack = load_pack(str(write("p.yml", "name: p\nrules:" + RULE)))
    rule = pack.rule("official.yuyi")
    assert (rule.kind, rule.safe, rule.boundary, rule.fuzzy) == ("phrase", True, True, False)


def test_unknown_rule_field_names_file_line_and_rule(write):
    msg = _pack_error(write, "rules:" + RULE + "    replacement: [给]\n")
    assert "p.yml:8:" in msg and "[official.yuyi]" in msg and "replacement" in msg


def test_wrong_type_is_reported(write):
    msg = _pack_error(write, "rules:" + RULE.replace("phrases: [予以]", "phrases: {a: 1}"))
    assert "[official.yuyi]" in msg and "phrases" in msg


def test_bad_level_is_reported_with_its_line(write):
    msg = _pack_error(write, "rules:" + RULE.replace("level: warning", "level: fatal"))
    assert "p.yml:3:" in msg and "level" in msg


def test_duplicate_rule_id_across_files_of_a_pack(write, tmp_path):
    write("team/pack.yml", "name: team\nrules:" + RULE)
    write("team/more.yml", "rules:" + RULE)
    with pytest.raises(KbInputError) as info:
        load_pack(str(tmp_path / "team"))
    assert "规则 id 重复" in str(info.value) and "more.yml" in str(info.value)


def test_bad_pattern_is_reported(write):
    msg = _pack_error(write, "rules:" + RULE.replace("phrases: [予以]", "pattern: '(予以'"))
    assert "不是有效的正则表达式" in msg and "[official.yuyi]" in msg


def test_replacement_referring_to_a_missing_group_is_reported(write):
    msg = _pack_error(write, "rules:" + RULE.replace("phrases: [予以]", "pattern: '进行(登记)'").replace("[给]", "['\\2']"))
    assert "引用了第 2 组" in msg


def test_cycle_in_extends_is_reported_at_the_extends_line_that_closes_it(write):
    write("a.yml", "name: a\nextends: [b]\n")
    write("b.yml", "name: b\ndescription: 第二层\nextends: [a]\n")
    msg = _pack_error(write, "name: c\nextends: [a]\n", "c.yml")
    assert "b.yml:3: 'extends' 形成了循环：c.yml -> a.yml -> b.yml -> a.yml" in msg


def test_unknown_parent_pack_is_reported(write):
    assert "'extends' 里的规则包 'nope' 不存在" in _pack_error(write, "extends: [nope]\n")


def test_malformed_yaml_names_the_line(write):
    msg = _pack_error(write, "rules:\n  - id: x\n    level: [warning\n")
    assert "p.yml:" in msg and "YAML 格式错误" in msg


def test_extends_layers_child_rules_over_parent_and_disables(write):
    write("base.yml", "name: base\nprotected: [长期挂失]\nrules:" + RULE + RULE.replace("official.yuyi", "official.other"))
    child = write(
        "team.yml",
        "name: team\nextends: [base]\ndisable: [official.other]\nprotected: ['95588']\nrules:"
        + RULE.replace("[给]", "[给予]"),
    )
    pack = load_pack(str(child))
    assert [r.id for r in pack.rules] == ["official.yuyi"]
    assert pack.rule("official.yuyi").replace == ("给予",)
    assert pack.protected == ("长期挂失", "95588")


def test_team_pack_can_extend_the_bundled_default_by_name(write):
    pack = load_pack(str(write("team.yml", "name: team\nextends: [default]\nrules:" + RULE.replace("official.yuyi", "team.x"))))
    assert pack.rule("team.x") and len(pack.rules) > 1
