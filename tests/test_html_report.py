"""The HTML report in a real headless browser: it renders, shows the matrix and the
v3.4-static-mask x entry_snapshot_drained timeline with its failing step, and makes no
network request (every request would have to pass a loopback proxy that counts them)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from drainverify import html, matrix as mx
from model.config import Config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    m = mx.run(["v3.4-static-mask"], ["entry_snapshot_drained", "conservation"], Config(offstack="n"), jobs=1)
    return html.write(d, m.to_json(), ["entry_snapshot_drained", "conservation"], "--offstack n", "test report")


def test_report_is_one_self_contained_file(report):
    """The report is one file with no external script, style, font or image."""
    text = Path(report).read_text()
    for needle in ("<script src", "<link ", "@import", "url(http", 'src="http', "src='http"):
        assert needle not in text
    assert "cex-v3_4-static-mask-entry_snapshot_drained" in text
    assert "stranded" in text and 'class="lanes"' in text


#: hosts Chromium itself calls (component updater, clock sync) whatever the page is
BROWSER_HOSTS = ("google.com", "googleapis.com", "gstatic.com", "googleusercontent.com")


class _RecordingProxy:
    """A loopback 'proxy' that records the first line of every request and answers nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(1)
            try:
                self.requests.append(conn.recv(300).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                self.requests.append("?")
            conn.close()

    def page_requests(self) -> list[str]:
        """Requests not made by the browser for itself."""
        return [r for r in self.requests if not any(h in r.split(" ")[1] if " " in r else False
                                                    for h in BROWSER_HOSTS)]

    def close(self):
        self.sock.close()


def _chromium(proxy, tmp_path, *args):
    common = FLAGS + [f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
                      f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *common, *args], capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_the_network_check_sees_a_page_that_fetches(tmp_path):
    """Control: a page with a remote image is caught by the same proxy, so the check can fail."""
    page = tmp_path / "fetches.html"
    page.write_text('<html><body><img src="http://drainverify-control.invalid/x.png"></body></html>')
    proxy = _RecordingProxy()
    try:
        _chromium(proxy, tmp_path, "--dump-dom", f"file://{page}")
        time.sleep(0.3)
    finally:
        proxy.close()
    assert any("drainverify-control.invalid" in r for r in proxy.page_requests())


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_headless_chromium_renders_the_timeline_without_network(report, tmp_path):
    """Chromium renders the matrix and the timeline (lanes, the failing step) and the page requests nothing."""
    proxy = _RecordingProxy()
    try:
        dom = _chromium(proxy, tmp_path, "--dump-dom", f"file://{report}")
        shot = tmp_path / "report.png"
        _chromium(proxy, tmp_path, "--window-size=1400,1800", f"--screenshot={shot}", f"file://{report}")
        time.sleep(0.3)
    finally:
        proxy.close()
    assert 'id="matrix"' in dom
    assert "entry_snapshot_drained refuted on v3.4-static-mask" in dom
    assert dom.count('class="row"') >= 10                 # one row per step
    assert "12 !" in dom or "13 !" in dom                 # the failing step is marked
    assert "load cpus_with_pcps = {}" in dom
    assert shot.exists() and shot.stat().st_size > 20_000  # a real picture, not a blank page
    assert proxy.page_requests() == [], f"the page made requests: {proxy.page_requests()}"
