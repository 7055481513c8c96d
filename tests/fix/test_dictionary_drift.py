"""specs/kalshi-custom.yaml, the generated XML dictionaries and the generator agree.

* The XML on disk is byte-for-byte what `python -m fixengine.fix.specgen` produces now.
* The runtime dictionary (spec.APP_SPEC) is a subset of the full one (spec.FULL_APP_SPEC) whose
  every kept field, component and message is identical to the full definition, holds every
  message Kalshi documents or answers with 380=3, and drops nothing those messages reference.
* Every YAML entry is in the XML with the same name, type, enum values and placements
  (message, enclosing groups, required flag), checked by code independent of the generator.
* Conversely every Kalshi tag and custom message in the XML is listed in the YAML, and each
  custom tag appears only in the messages the YAML says carry it.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixengine.fix import spec, specgen

TRANSPORT_MSGTYPES = {"0", "1", "2", "3", "4", "5", "A", "n"}
USER_TAG_MIN = 5000


def load_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


class Model:
    """Read-only index of one QuickFIX dictionary file."""

    def __init__(self, root: ET.Element):
        self.fields = {int(n.get("number")): n for n in root.find("fields")}
        self.by_name = {n.get("name"): int(n.get("number")) for n in root.find("fields")}
        self.components = {n.get("name"): n for n in root.find("components")}
        self.messages = {n.get("msgtype"): n for n in root.find("messages")}

        self._expanded: dict[str, list] = {}

    def entries(self, container: ET.Element, groups: tuple[str, ...] = ()) -> list:
        """(group path, element) for every field/group reachable from `container`,
        descending into components transparently and into groups (recorded in the path)."""
        out = []
        for node in container:
            if node.tag == "component":
                out += [(groups + path, n) for path, n in self.component_entries(node.get("name"))]
            elif node.tag in ("field", "group"):
                out.append((groups, node))
                if node.tag == "group":
                    out += self.entries(node, groups + (node.get("name"),))
        return out

    def component_entries(self, name: str) -> list:
        if name not in self._expanded:
            self._expanded[name] = self.entries(self.components[name])
        return self._expanded[name]

    def locate(self, msgtype: str, groups: tuple[str, ...], name: str) -> ET.Element | None:
        for path, node in self.entries(self.messages[msgtype]):
            if path == groups and node.get("name") == name:
                return node
        return None


@pytest.fixture(scope="module")
def custom() -> dict:
    return specgen.load_custom(spec.CUSTOM_SPEC)


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {"transport": Model(load_root(spec.TRANSPORT_SPEC)), "app": Model(load_root(spec.FULL_APP_SPEC))}


def kind_of(msgtype: str) -> str:
    return "transport" if msgtype in TRANSPORT_MSGTYPES else "app"


def yn(value) -> str:
    return specgen.yn(value)


def field_problems(entry: dict, models: dict[str, Model], custom_tag: bool) -> list[str]:
    problems = []
    number, name = int(entry["number"]), entry["name"]
    for kind in entry["dictionaries"]:
        node = models[kind].fields.get(number)
        if node is None:
            problems.append(f"{number} missing from {kind}")
            continue
        if (node.get("name"), node.get("type")) != (name, entry["type"]):
            problems.append(f"{number} in {kind} is {node.get('name')}/{node.get('type')}, yaml {name}/{entry['type']}")
        xml_values = {v.get("enum") for v in node.findall("value")}
        listed = {str(v["enum"]) for v in entry.get("values") or entry.get("kalshi_values") or []}
        exact = custom_tag or entry.get("replace_values")
        if (xml_values != listed) if exact else not listed <= xml_values:
            problems.append(f"{number} enum values in {kind}: xml {sorted(xml_values)}, yaml {sorted(listed)}")
    for placement in entry.get("messages") or []:
        msgtype, groups = str(placement["msgtype"]), tuple(placement.get("group") or ())
        if kind_of(msgtype) not in entry["dictionaries"]:
            problems.append(f"{number} placed on {msgtype} but not defined in {kind_of(msgtype)}")
            continue
        node = models[kind_of(msgtype)].locate(msgtype, groups, name)
        if node is None:
            problems.append(f"{number} not found on {msgtype} at {groups}")
        elif node.get("required") != yn(placement["required"]):
            problems.append(f"{number} on {msgtype} {groups}: required {node.get('required')}")
    return problems


def yaml_problems(custom: dict, models: dict[str, Model]) -> list[str]:
    """Every YAML entry is reflected in the XML."""
    problems = []
    for entry in custom["fields"]:
        problems += field_problems(entry, models, custom_tag=True)
    for entry in custom["standard_fields"]:
        problems += field_problems(entry, models, custom_tag=False)
    for change in custom["standard_messages"]:
        for relax in change.get("relax_required") or []:
            node = models["app"].locate(str(change["msgtype"]), (), relax["field"])
            if node is None or node.get("required") != "N":
                problems.append(f"{change['msgtype']}.{relax['field']} not relaxed")
    for message in custom["messages"]:
        node = models["app"].messages.get(str(message["msgtype"]))
        if node is None or node.get("name") != message["name"]:
            problems.append(f"custom message {message['msgtype']} missing or misnamed")
        elif layout_of(node) != yaml_layout(message["layout"]):
            problems.append(f"custom message {message['msgtype']} layout differs from the yaml")
    return problems


def layout_of(node: ET.Element) -> list:
    return [(c.tag, c.get("name"), c.get("required"), layout_of(c)) for c in node]


def yaml_layout(items: list[dict]) -> list:
    out = []
    for item in items:
        kind = next(k for k in ("field", "component", "group") if k in item)
        children = yaml_layout(item["layout"]) if kind == "group" else []
        out.append((kind, item[kind], yn(item.get("required", "N")), children))
    return out


def xml_problems(custom: dict, models: dict[str, Model], stock: dict[str, Model]) -> list[str]:
    """Everything Kalshi-specific (absent from the stock dictionaries) in the XML is in the YAML."""
    problems = []
    declared = {}
    for entry in custom["fields"]:
        for kind in entry["dictionaries"]:
            places = {(str(p["msgtype"]), tuple(p.get("group") or ())) for p in entry["messages"]}
            declared[(kind, int(entry["number"]))] = places
    for kind, model in models.items():
        for number in model.fields:
            if number not in stock[kind].fields and (kind, number) not in declared:
                problems.append(f"tag {number} in {kind} XML is not in the yaml")
        for msgtype, message in model.messages.items():
            for groups, node in model.entries(message):
                number = model.by_name[node.get("name")]
                custom_tag = number not in stock[kind].fields or (kind, number) in declared
                if custom_tag and (msgtype, groups) not in declared.get((kind, number), set()):
                    problems.append(f"tag {number} on {msgtype} {groups} is not listed in the yaml")
    custom_msgtypes = {str(m["msgtype"]) for m in custom["messages"] if not m.get("replaces_standard")}
    added = set(models["app"].messages) - set(stock["app"].messages)
    if added != custom_msgtypes:
        problems.append(f"custom messages in XML {sorted(added)} != yaml {sorted(custom_msgtypes)}")
    return problems


@pytest.fixture(scope="module")
def stock() -> dict[str, Model]:
    return {kind: Model(load_root(specgen.stock_dir() / name)) for kind, name in specgen.STOCK_FILES.items()}


def test_xml_on_disk_is_what_specgen_generates(custom):
    texts = specgen.build(custom, specgen.stock_dir())
    assert texts["transport"] == spec.TRANSPORT_SPEC.read_text(encoding="utf-8")
    assert texts["app"] == spec.FULL_APP_SPEC.read_text(encoding="utf-8")
    assert texts["runtime"] == spec.APP_SPEC.read_text(encoding="utf-8")


def test_specgen_check_mode_reports_up_to_date():
    assert specgen.main(["--check"]) == 0


def test_generated_files_carry_the_provenance_header():
    for path in (spec.TRANSPORT_SPEC, spec.FULL_APP_SPEC, spec.APP_SPEC):
        head = path.read_text(encoding="utf-8")[:400]
        assert "stock" in head and "specs/kalshi-custom.yaml" in head and "specgen" in head
    runtime_head = spec.APP_SPEC.read_text(encoding="utf-8").split("-->")[0]
    assert "RUNTIME" in runtime_head and "380=3" in runtime_head and "deep-copies" in runtime_head


def test_every_yaml_entry_is_in_the_xml(custom, models):
    assert yaml_problems(custom, models) == []


def test_every_kalshi_item_in_the_xml_is_in_the_yaml(custom, models, stock):
    assert xml_problems(custom, models, stock) == []


def test_drift_checks_catch_a_changed_yaml(custom, models, stock):
    """The checks are not vacuous: a type, an enum, a placement or a missing entry is noticed."""
    changed_type = copy.deepcopy(custom)
    changed_type["fields"][0]["type"] = "STRING"
    assert yaml_problems(changed_type, models)
    extra_enum = copy.deepcopy(custom)
    next(f for f in extra_enum["fields"] if f["number"] == 20131)["values"].append(
        {"enum": "6", "description": "X"}
    )
    assert yaml_problems(extra_enum, models)
    moved = copy.deepcopy(custom)
    next(f for f in moved["fields"] if f["number"] == 21015)["messages"][0]["group"] = []
    assert yaml_problems(moved, models)
    dropped = copy.deepcopy(custom)
    dropped["fields"] = [f for f in dropped["fields"] if f["number"] != 21030]
    assert xml_problems(dropped, models, stock)


def test_yaml_is_well_formed(custom):
    seen = set()
    for entry in custom["fields"]:
        assert int(entry["number"]) >= USER_TAG_MIN, entry["number"]
        assert entry["description"] and entry["messages"] and entry["type"]
        for kind in entry["dictionaries"]:
            assert (kind, entry["number"]) not in seen, entry["number"]
            seen.add((kind, entry["number"]))
    for message in custom["messages"]:
        assert message["category"] == "app"
        assert message["direction"] in ("client_to_server", "server_to_client")
        assert message["sessions"]


def test_kalshi_tag_set_is_complete(custom):
    """The tags the fact sheets define (part2 7.3 plus the Logon-only 21032)."""
    numbers = {int(f["number"]) for f in custom["fields"]}
    expected = {8013, 20105, 20106, 20107, 20108, 20109, 20110, 20126, 20127, 20130, 20131, 20132}
    expected |= set(range(20180, 20188)) | {20200}
    expected |= set(range(21001, 21014)) | {21015, 21016, 21022, 21023, 21024, 21025, 21026, 21027}
    expected |= {21030, 21031, 21032}
    assert numbers == expected


def test_quickfix_loads_both_dictionaries():
    transport, app = spec.transport_dictionary(), spec.app_dictionary()
    assert transport.getVersion() == "FIXT.1.1"
    for msgtype in ("UOG", "UOH", "UMS", "U1", "U2", "U3", "U7", "U8", "U9", "UA", "UB", "UC", "UE", "b"):
        assert app.isMsgType(msgtype)
    assert transport.isMsgType("A") and transport.isField(20126) and not app.isField(20126)


def test_spec_dir_env_override(tmp_path):
    code = "from fixengine.fix import spec; print(spec.SPEC_DIR, spec.APP_SPEC.name, spec.TRANSPORT_SPEC.name)"
    env = {**os.environ, "FIXENGINE_SPECS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(tmp_path), "KalshiFIX50SP2-runtime.xml", "FIXT11.xml"]
    env.pop("FIXENGINE_SPECS")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert Path(out.stdout.split()[0]) == Path(spec.__file__).resolve().parents[2] / "specs"


# ----------------------------------------------------------------------------- runtime dictionary

# Written from the fact sheets, independently of the YAML's `runtime` section.
DOCUMENTED_STANDARD = {"D", "F", "G", "q", "8", "9", "r", "j", "R", "b", "S", "AI", "Z", "AG",
                       "V", "W", "X", "Y", "e", "f"}
# part2 6.2: standard messages Kalshi does not support and answers with 35=j 380=3.
ANSWERED_380_3 = {"AP", "AN", "y", "x", "d", "c", "AE", "AD", "BE", "BF", "H", "AF", "BB", "E", "a"}


@pytest.fixture(scope="module")
def runtime_root() -> ET.Element:
    return load_root(spec.APP_SPEC)


@pytest.fixture(scope="module")
def full_root() -> ET.Element:
    return load_root(spec.FULL_APP_SPEC)


def by_key(root: ET.Element, section: str, key: str) -> dict[str, ET.Element]:
    return {node.get(key): node for node in root.find(section)}


def same(a: ET.Element, b: ET.Element) -> bool:
    return ET.tostring(a) == ET.tostring(b)


def runtime_subset_problems(runtime: ET.Element, full: ET.Element) -> list[str]:
    """Everything in `runtime` exists in `full` with an identical definition, in the same order."""
    problems = []
    for section, key in (("fields", "number"), ("components", "name"), ("messages", "msgtype")):
        full_nodes = by_key(full, section, key)
        kept = [node.get(key) for node in runtime.find(section)]
        kept_set = set(kept)
        if kept != [k for k in full_nodes if k in kept_set]:
            problems.append(f"{section}: runtime order differs from the full dictionary")
        for node in runtime.find(section):
            original = full_nodes.get(node.get(key))
            if original is None or not same(node, original):
                problems.append(f"{section} {node.get(key)} differs from the full dictionary")
    for section in ("header", "trailer"):
        if not same(runtime.find(section), full.find(section)):
            problems.append(f"{section} differs from the full dictionary")
    if runtime.attrib != full.attrib:
        problems.append("root attributes differ")
    return problems


def dangling_references(root: ET.Element) -> list[str]:
    """Component, group or field names used in a layout but not defined in `root`."""
    components = set(by_key(root, "components", "name"))
    fields = {node.get("name") for node in root.find("fields")}
    problems = []
    for node in root.iter():
        if node.get("required") is None:
            continue  # a definition (section entry), not a reference
        if node.tag == "component" and node.get("name") not in components:
            problems.append(f"component {node.get('name')}")
        if node.tag in ("group", "field") and node.get("name") not in fields:
            problems.append(f"{node.tag} {node.get('name')}")
    return problems


def test_runtime_is_an_identical_subset_of_the_full_dictionary(runtime_root, full_root):
    assert runtime_subset_problems(runtime_root, full_root) == []
    assert dangling_references(runtime_root) == []


def test_runtime_subset_check_is_not_vacuous(runtime_root, full_root):
    changed_enum = copy.deepcopy(runtime_root)
    field = next(n for n in changed_enum.find("fields") if n.get("number") == "59")
    field.remove(field.find("value"))
    assert runtime_subset_problems(changed_enum, full_root)
    relaxed = copy.deepcopy(runtime_root)
    message = next(n for n in relaxed.find("messages") if n.get("msgtype") == "8")
    next(n for n in message if n.get("required") == "Y").set("required", "N")
    assert runtime_subset_problems(relaxed, full_root)
    dropped = copy.deepcopy(runtime_root)
    fields = dropped.find("fields")
    fields.remove(next(n for n in fields if n.get("name") == "ClOrdID"))
    assert dangling_references(dropped) and not runtime_subset_problems(dropped, full_root)


def test_runtime_keeps_exactly_the_messages_kalshi_uses(custom, runtime_root, full_root):
    custom_msgtypes = {str(m["msgtype"]) for m in custom["messages"]}
    admin = {n.get("msgtype") for n in full_root.find("messages") if n.get("msgcat") == "admin"}
    expected = admin | custom_msgtypes | DOCUMENTED_STANDARD | ANSWERED_380_3
    assert set(by_key(runtime_root, "messages", "msgtype")) == expected
    assert len(by_key(full_root, "messages", "msgtype")) > 3 * len(expected)  # the trim is real


def test_runtime_keeps_only_what_its_messages_reference(runtime_root, full_root):
    """The closure rebuilt independently: no unreferenced component or field is kept."""
    components = by_key(full_root, "components", "name")
    used_components, used_fields, pending = set(), set(), list(runtime_root.find("messages"))
    while pending:
        for node in pending.pop():
            if node.tag == "component" and node.get("name") not in used_components:
                used_components.add(node.get("name"))
                pending.append(components[node.get("name")])
            elif node.tag in ("field", "group"):
                used_fields.add(node.get("name"))
                if node.tag == "group":
                    pending.append(node)
    assert set(by_key(runtime_root, "components", "name")) == used_components
    assert {n.get("name") for n in runtime_root.find("fields")} == used_fields


def test_every_yaml_app_field_is_in_the_runtime_dictionary(custom, runtime_root, full_root):
    runtime_fields = by_key(runtime_root, "fields", "number")
    full_fields = by_key(full_root, "fields", "number")
    for entry in custom["fields"] + custom["standard_fields"]:
        if "app" in entry["dictionaries"]:
            number = str(entry["number"])
            assert number in runtime_fields, entry["name"]
            assert same(runtime_fields[number], full_fields[number])


def test_runtime_yaml_lists_use_stock_names(custom, full_root):
    messages = by_key(full_root, "messages", "msgtype")
    runtime = custom["runtime"]
    for item in runtime["documented_messages"] + runtime["unsupported_messages"]:
        assert messages[str(item["msgtype"])].get("name") == item["name"], item
    assert {str(m["msgtype"]) for m in runtime["unsupported_messages"]} == ANSWERED_380_3


def test_specgen_refuses_an_unknown_runtime_message(custom):
    broken = copy.deepcopy(custom)
    broken["runtime"]["documented_messages"].append({"msgtype": "ZZ", "name": "Nope", "source": "x"})
    with pytest.raises(specgen.SpecGenError, match="ZZ"):
        specgen.build(broken, specgen.stock_dir())


def test_quickfix_loads_the_runtime_dictionary_with_unsupported_types():
    runtime, full = spec.app_dictionary(), spec.full_app_dictionary()
    for msgtype in DOCUMENTED_STANDARD | ANSWERED_380_3:
        assert runtime.isMsgType(msgtype), msgtype
    assert not runtime.isMsgType("6") and full.isMsgType("6")  # IOI: not Kalshi, trimmed
    assert runtime.isField(21030) and full.isField(21030)
