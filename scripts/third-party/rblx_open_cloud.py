"""Drives the emulator with the `rblx-open-cloud` Python client, unchanged: its requests to
https://apis.roblox.com are sent to the emulator instead (the only change is the base URL).

    python3 rblx_open_cloud.py http://127.0.0.1:PORT API_KEY

Prints one line per check and exits non-zero if any failed. Run by
scripts/check-third-party.sh, which installs the client in a throwaway virtualenv.
"""

import json
import sys
import traceback

import rblxopencloud
from rblxopencloud import http as rhttp

BASE, KEY = sys.argv[1].rstrip("/"), sys.argv[2]

_request = rhttp.http_session.request


def to_emulator(method, url, *args, **kwargs):
    return _request(method, url.replace("https://apis.roblox.com", BASE, 1), *args, **kwargs)


rhttp.http_session.request = to_emulator

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            results.append((name, f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"))
        return fn

    return wrap


exp = rblxopencloud.Experience(1, api_key=KEY)
ds = exp.get_datastore("Inventory", scope="global")
ordered = exp.get_ordered_datastore("Scores", scope="global")
state = {}


@check("v1 set entry with users and attributes")
def _():
    v = ds.set_entry("user_1", {"gold": 5}, users=[269323], metadata={"tier": "gold"})
    # The library sends json.dumps(value), with its spaces; v1 keeps the bytes as sent, so the
    # length counts them.
    sent = json.dumps({"gold": 5})
    assert v.version and v.deleted is False and v.content_length == len(sent), vars(v)
    state["v1"] = v.version


@check("v2 get entry sees the v1 write")
def _():
    value, info = ds.get_entry("user_1")
    assert value == {"gold": 5}, value
    assert info.users == [269323] and info.metadata == {"tier": "gold"}, vars(info)
    assert info.version == state["v1"], (info.version, state["v1"])


@check("v1 set with a stale previous_version raises PreconditionFailed")
def _():
    ds.set_entry("user_1", {"gold": 6})
    try:
        ds.set_entry("user_1", {"gold": 7}, previous_version=state["v1"])
    except rblxopencloud.PreconditionFailed as e:
        assert e.info.version != state["v1"], vars(e.info)
        return
    raise AssertionError("no PreconditionFailed")


@check("v1 increment answers the value and its metadata")
def _():
    value, info = ds.increment_entry("counter", 3, users=[1])
    assert value == 3 and info.users == [1], (value, vars(info))
    value, _ = ds.increment_entry("counter", -1)
    assert value == 2, value


@check("v2 list keys in one scope and in all scopes")
def _():
    keys = sorted(k.key for k in ds.list_keys())
    assert keys == ["counter", "user_1"], keys
    ds2 = exp.get_datastore("Inventory", scope=None)
    ds2.set_entry("s1/other", 1)
    pairs = sorted((k.scope, k.key) for k in ds2.list_keys())
    assert pairs == [("global", "counter"), ("global", "user_1"), ("s1", "other")], pairs


@check("v2 list versions and get a version")
def _():
    versions = list(ds.list_versions("user_1"))
    assert [v.version for v in versions][0] == state["v1"], [v.version for v in versions]
    value, info = ds.get_version("user_1", state["v1"])
    assert value == {"gold": 5} and info.version == state["v1"], (value, vars(info))


@check("v1 remove entry, then get is NotFound")
def _():
    ds.remove_entry("user_1")
    try:
        ds.get_entry("user_1")
    except rblxopencloud.NotFound:
        return
    raise AssertionError("still there")


@check("list data stores")
def _():
    names = [d.name for d in exp.list_datastores()]
    assert names == ["Inventory"], names


@check("ordered v1 set, get, increment, sort, remove")
def _():
    for key, v in [("a", 10), ("b", 30), ("c", 20)]:
        assert ordered.set_entry(key, v) == v
    assert ordered.get_entry("b") == 30
    assert ordered.increment_entry("a", 5) == 15
    top = [(e.key, e.value) for e in ordered.sort_keys(descending=True)]
    assert top == [("b", 30), ("c", 20), ("a", 15)], top
    low = [(e.key, e.value) for e in ordered.sort_keys(descending=False, min=1, max=20)]
    assert low == [("a", 15), ("c", 20)], low
    ordered.remove_entry("c")
    assert [e.key for e in ordered.sort_keys()] == ["b", "a"]


@check("ordered v1 exclusive create of an existing key raises PreconditionFailed")
def _():
    try:
        ordered.set_entry("a", 1, exclusive_create=True)
    except rblxopencloud.PreconditionFailed:
        return
    raise AssertionError("no PreconditionFailed")


@check("messaging publish")
def _():
    exp.publish_message("announcements", "hello")


@check("snapshot data stores, once a day")
def _():
    taken, _ = exp.snapshot_datastores()
    again, _ = exp.snapshot_datastores()
    assert taken is True and again is False, (taken, again)


@check("ban a user for a day, read it back, unban")
def _():
    r = exp.ban_user(42, 86400, display_reason="cheating", private_reason="ticket 7")
    assert r.active and r.duration_seconds == 86400 and r.display_reason == "cheating", vars(r)
    r = exp.fetch_user_restriction(42)
    assert r.active and r.private_reason == "ticket 7", vars(r)
    r = exp.unban_user(42)
    assert not r.active, vars(r)


@check("ban indefinitely (duration null), then list the logs")
def _():
    r = exp.ban_user(43, None, display_reason="x")
    assert r.active and r.duration_seconds is None, vars(r)
    logs = list(exp.list_ban_logs())
    assert len(logs) == 3, [vars(x) for x in logs]
    mine = list(exp.list_ban_logs(user_id=42))
    assert len(mine) == 2 and all(x.user.id == 42 for x in mine), [vars(x) for x in mine]


failed = [r for r in results if r[1]]
for name, err in results:
    print(("ok   " if err is None else "FAIL ") + name)
    if err:
        print("     " + err.replace("\n", "\n     "))
print(f"{len(results) - len(failed)} of {len(results)} checks passed")
sys.exit(1 if failed else 0)
