"""HandleCache: bounded, lease-safe, per process."""

import os

import pytest

from fastiter._nchandles import HandleCache


class Handle:
    def __init__(self, path, log):
        self.path, self.closed, self.log = path, False, log
        log.append(("open", path))

    def close(self):
        assert not self.closed, f"{self.path} closed twice"
        self.closed = True
        self.log.append(("close", self.path))


def cache(max_open, log):
    return HandleCache(lambda p: Handle(p, log), max_open)


def test_lru_bound_and_reuse():
    log = []
    c = cache(2, log)
    for p in "abab":
        with c.lease(p):
            pass
    assert [e for e in log if e[0] == "open"] == [("open", "a"), ("open", "b")]
    with c.lease("c"):
        pass
    assert ("close", "a") in log and c.open_paths() == ["b", "c"]
    c.close()
    assert c.open_paths() == [] and log.count(("close", "b")) == 1


def test_a_leased_handle_is_not_closed_under_its_reader():
    log = []
    c = cache(1, log)
    with c.lease("a") as a:
        with c.lease("b"):
            assert not a.closed  # evicted from the cache but still being read
        assert not a.closed
    assert a.closed and c.open_paths() == ["b"]


def test_bad_bound():
    with pytest.raises(ValueError, match="max_open must be an integer >= 1, got 0"):
        HandleCache(lambda p: None, 0)


def test_a_forked_child_opens_its_own():
    log = []
    c = cache(4, log)
    with c.lease("a") as parent_handle:
        pass
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            with c.lease("a") as h:
                ok = h is not parent_handle and not parent_handle.closed
            c.close()
            ok = ok and not parent_handle.closed
        except BaseException:  # noqa: BLE001 - the child must reach os._exit; "0" tells the parent
            ok = False
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.waitpid(pid, 0)
    assert c.open_paths() == ["a"] and not parent_handle.closed


def test_retain_closes_the_others_and_spares_a_leased_one():
    log = []
    c = cache(4, log)
    for p in "abc":
        with c.lease(p):
            pass
    with c.lease("a") as a:
        c.retain(["b"])
        assert c.open_paths() == ["b"] and ("close", "c") in log
        assert not a.closed  # being read: closed when the lease ends
    assert a.closed and log.count(("close", "b")) == 0
