"""A real headless Chromium driven over the DevTools protocol, standard library only.

Chromium is started with --remote-debugging-pipe: it reads protocol messages (JSON, each ended by a
NUL byte) on file descriptor 3 and writes replies and events on descriptor 4. This module opens a
page, collects what the page does (console errors, uncaught exceptions, every network request)
and offers what the viewer tests need: evaluate JavaScript, click at page coordinates like a user,
take screenshots.

    with Chromium() as browser:
        page = browser.open("file:///tmp/view.html")
        page.wait_for("window.bertologyView && window.bertologyView.ready", timeout=30)
        png = page.screenshot()
        page.click(120, 80)
        assert not page.errors and not page.network_requests()
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "chrome-error:", "devtools:")


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no Chromium found (Debian: apt-get install chromium; scripts/setup.sh installs it)")


class Page:
    def __init__(self, browser, session):
        self.browser, self.session = browser, session
        self.errors = []     # console errors and uncaught exceptions, as text
        self.requests = []   # every URL the page requested

    def call(self, method, params=None, timeout=30):
        return self.browser.call(method, params, session=self.session, timeout=timeout)

    def network_requests(self):
        """The requests that would leave the machine (not file:, data:, blob:, about:)."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]

    def evaluate(self, expression, timeout=30):
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails'].get('text')} "
                               f"{reply['exceptionDetails'].get('exception', {}).get('description', '')}")
        return reply["result"].get("value")

    def wait_for(self, expression, timeout=30, fail_on_error=True):
        """Seconds until `expression` is truthy; RuntimeError after `timeout` or (fail_on_error) on a
        page error."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.evaluate(f"Boolean({expression})"):
                return time.monotonic() - start
            if self.errors and fail_on_error:
                raise RuntimeError(f"page error while waiting for {expression}: {self.errors}")
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {timeout} s waiting for {expression}")

    def click(self, x, y):
        """A left click at viewport coordinates, as the mouse would make it."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                   "clickCount": 0 if kind == "mouseMoved" else 1})

    def screenshot(self, clip=None):
        """PNG bytes of the viewport, or of `clip` = {x, y, width, height} (page coordinates)."""
        params = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = dict(clip, scale=1)
        return base64.b64decode(self.call("Page.captureScreenshot", params, timeout=60)["data"])

    def element_rect(self, selector):
        return self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                             f".getBoundingClientRect(); return {{x: r.left + window.scrollX, "
                             f"y: r.top + window.scrollY, width: r.width, height: r.height}}; }})()")


class Chromium:
    def __init__(self, width=1600, height=1400):
        self.binary = find_chromium()
        self.profile = tempfile.mkdtemp(prefix="bertology_chromium_")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # The child needs the pipe ends on exactly 3 and 4: move them above 10 first, then down.
        hi_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.process = subprocess.Popen(
            [self.binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-features=Translate,OptimizationHints,MediaRouter",
             "--allow-file-access-from-files", f"--window-size={width},{height}",
             f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_browser_r, from_browser_w, hi_r, hi_w):
            os.close(fd)
        self.buffer = b""
        self.next_id = 0
        self.pages = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.to_browser, self.from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, timeout):
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], timeout)
            if not ready:
                raise RuntimeError(f"Chromium did not answer within {timeout} s")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the protocol pipe (exit status {self.process.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def _dispatch(self, message):
        page = self.pages.get(message.get("sessionId"))
        if page is None:
            return
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            page.errors.append(details.get("exception", {}).get("description") or details.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            page.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            page.errors.append(f"{params['entry'].get('source')}: {params['entry'].get('text')} "
                               f"{params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._dispatch(reply)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method}: no reply within {timeout} s")

    def open(self, url, width=1600, height=1400):
        """A new tab with every event recorded, navigated to `url` (returns before the load ends)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        page.call("Page.navigate", {"url": url})
        return page
