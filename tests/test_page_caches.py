"""The menu and the lists' filter drawer are rendered once per distinct input and kept (issue 13,
part 1): what they show must still follow each user, each count and each query string."""

import json
import re

from tests.factories import make_teacher
from tests.flow_client import client_for, register


def _menu(body: str) -> str:
    return re.search(r'<vf-page-menu-navigation class="mdc-list">.*?</vf-page-menu-navigation>', body, re.S).group(0)


def _filter(body: str) -> str:
    return re.search(r"<vf-list-filter.*?</vf-list-filter>", body, re.S).group(0)


def test_the_menu_follows_the_user_and_its_counts(world):
    w = world
    officer = client_for(w.officer)
    before = _menu(officer.get("/inbox/").content.decode())
    assert 'id="queue-count">0<' in before
    assert "/inbox/cases/new/" in before  # 登记培养对象: an officer registers
    assert "/admin/" not in before
    # Another user's menu: other links, not the officer's.
    secretary = _menu(client_for(w.secretary).get("/inbox/").content.decode())
    assert "/inbox/cases/new/" not in secretary
    # A new case puts a 指定培养人 step in the officer's 待认领: the badge says so at once.
    register(w.officer, make_teacher("钱老师", w.branch, is_backbone=True), "1")
    after = _menu(officer.get("/inbox/").content.decode())
    assert 'id="queue-count">1<' in after
    # Made staff: the same counts and roles, and now 系统管理.
    w.officer.is_staff = True
    w.officer.save()
    assert "/admin/" in _menu(client_for(w.officer).get("/inbox/").content.decode())


def test_the_filter_drawer_keeps_what_was_typed_and_each_users_units(world):
    w = world
    client = client_for(w.officer)
    plain = _filter(client.get("/inbox/queue/").content.decode())
    typed = _filter(client.get("/inbox/queue/?q=%E9%92%B1%E8%80%81").content.decode())
    assert 'value="钱老"' in typed and 'value="钱老"' not in plain
    assert "mdc-drawer--open" in typed and "mdc-drawer--open" not in plain
    # A refused value shows its error for that query string only.
    refused = client.get("/inbox/queue/?kind=9")
    assert refused.status_code == 200
    assert 'id="id_kind" name="kind" value="9"' in _filter(refused.content.decode())
    assert 'aria-describedby="id_kind_error"' in _filter(refused.content.decode())
    assert _filter(client.get("/inbox/queue/").content.decode()) == plain
    assert 'aria-invalid="true"' not in plain
    # Units offered are each user's own (the options are JSON in the field's attributes).
    other = client_for(w.other_officer).get("/inbox/queue/").content.decode()

    def offers(html, org):
        label = json.dumps(org.name)[1:-1]  # as the field's JSON writes it
        return f"&quot;value&quot;: &quot;{org.pk}&quot;, &quot;label&quot;: &quot;{label}&quot;" in _filter(html)

    assert offers(other, w.other_county) and not offers(other, w.county)
    assert offers(plain, w.county) and not offers(plain, w.other_county)


def test_kept_is_bounded_and_builds_once_per_key():
    from workflows.kept import Kept

    built = []
    kept = Kept(size=2)

    def build(key):
        return lambda: built.append(key) or f"<{key}>"

    assert kept.get("a", build("a")) == "<a>" and kept.get("a", build("a")) == "<a>"
    kept.get("b", build("b"))
    kept.get("c", build("c"))  # full: "a", the least recently used, goes
    assert len(kept) == 2 and built == ["a", "b", "c"]
    kept.get("a", build("a"))
    assert built == ["a", "b", "c", "a"]  # "b" went
    kept.get("c", build("c"))  # used again: now the newest
    kept.get("d", build("d"))  # so "a" goes, not "c"
    kept.get("c", build("c"))
    assert built == ["a", "b", "c", "a", "d"]
