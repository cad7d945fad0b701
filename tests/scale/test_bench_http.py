"""The pure helpers of `bench --pages --http` (portal/bench_http.py): cookies, the CSRF token, VmRSS and
the tables beside the goals. (The rates themselves are printed by the benchmark, never asserted.)"""
from portal.bench_http import (csrf_token_of, format_table, parse_set_cookies, rate_rows, rss_rows, vm_rss_mb,
                               worker_pids)


def test_set_cookies_keep_name_and_value_only():
    headers = [("Content-Type", "text/html"), ("Set-Cookie", "session=abc.def; HttpOnly; Path=/; SameSite=Lax"),
               ("set-cookie", "remember_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), ("Set-Cookie", "junk")]
    assert parse_set_cookies(headers) == {"session": "abc.def", "remember_token": ""}


def test_csrf_token_from_the_form_field_or_the_meta_tag():
    assert csrf_token_of('<input id="csrf_token" name="csrf_token" type="hidden" value="IjQ1.Zx">') == "IjQ1.Zx"
    assert csrf_token_of('<input value="t0k" type="hidden" name="csrf_token">') == "t0k"
    assert csrf_token_of('<meta name="csrf-token" content="m-3ta">') == "m-3ta"
    assert csrf_token_of("<p>no form</p>") is None


def test_vm_rss_in_mb():
    status = "Name:\tgunicorn\nVmPeak:\t  300000 kB\nVmRSS:\t  153600 kB\nThreads:\t1\n"
    assert vm_rss_mb(status) == 150.0
    assert vm_rss_mb("Name:\tkthreadd\n") is None


def test_rate_rows_give_each_page_its_share_of_the_trivial_route_beside_the_goal():
    rows = rate_rows({"trivial": 1000.0, "record": 300.0, "worklist": 120.0},
                     {"trivial": "trivial", "record": "record page", "worklist": "work list"})
    assert rows == [["trivial", "1000.0", "1.00", "", "for scale"],
                    ["record page", "300.0", "0.30", "≥ 0.25", "ok"],
                    ["work list", "120.0", "0.12", "≥ 0.25", "UNDER"]]


def test_rss_rows_and_the_table():
    rows = rss_rows({12: (120.0, 149.9), 11: (118.2, 151.0), 13: (None, None)})
    assert [row[0] for row in rows] == ["worker 11", "worker 12", "worker 13"]
    assert [row[-1] for row in rows] == ["OVER", "ok", "?"]
    lines = format_table(["process", "after"], [["worker 11", "151.0"]])
    assert lines == ["process    after", "---------  -----", "worker 11  151.0"]


def test_worker_pids_are_the_children_of_a_process():
    import os
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in worker_pids(os.getpid())
        assert worker_pids(child.pid) == []
    finally:
        child.kill()
        child.wait()
