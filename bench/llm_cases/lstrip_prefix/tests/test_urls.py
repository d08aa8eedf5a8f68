from webtools.urls import display_host


def test_hosts_starting_with_w_are_kept_whole():
    assert display_host("https://web.dev/learn") == "web.dev", (
        f"'web.dev' has no 'www.' prefix but became {display_host('https://web.dev/learn')!r}"
    )
    host = display_host("https://www.wikipedia.org/wiki/Python")
    assert host == "wikipedia.org", f"expected 'wikipedia.org', got {host!r}"


def test_www_prefix_and_port_are_dropped():
    assert display_host("http://WWW.Example.com:8080/path") == "example.com"


def test_host_without_prefix():
    assert display_host("https://example.org") == "example.org"
