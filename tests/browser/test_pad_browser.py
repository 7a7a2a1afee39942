"""The drawing pad in a real browser: JupyterLab on 127.0.0.1, headless Chromium from Debian
driven by Selenium with pointer events; screenshots in build/browser/. `make browser` runs it."""
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import nbformat
import pytest
from strokes import DIGITS, SMALL_ONE

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("no chromium/chromedriver on PATH: `make browser` installs them (Debian, root) "
                "and runs this test", allow_module_level=True)
if not all(importlib.util.find_spec(name) for name in ("selenium", "jupyterlab")):
    pytest.skip("selenium or jupyterlab not installed here (e.g. make colab's venv): "
                "`make browser` runs this test in .venv", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only where there is a browser to drive)
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.actions import interaction  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.needs_mnist]  # trains F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "browser"
EPOCHS = 2  # model F's recipe, briefly: enough to read the drawn 1, 0 and 7
TRAINING = 1200  # seconds the notebook may take to train F and show the pad (2 busy cores)
SETUP = f"""\
from mnist_mlp import MNIST
from mnist_mlp.experiment import fit, set_seed
from mnist_mlp.pad import DrawingPad
from mnist_mlp.presets import PRESETS

set_seed(0)
config = PRESETS["F"].replace(epochs={EPOCHS})
modelo_f = config.model()
fit(modelo_f, MNIST(batch_size=config.batch_size, validate=False), max_epochs=config.epochs)
modelo_f.eval()
print("modelo F treinado")"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(path, setup):
    """A notebook of two cells: `setup` (trains modelo_f), then the pad."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(setup),
                nbformat.v4.new_code_cell('DrawingPad({"F": modelo_f})')]
    nbformat.write(nb, path)


@contextmanager
def jupyter_lab(folder):
    """A JupyterLab server serving `folder` on 127.0.0.1, a free port and a token: (url, token).
    Its settings live in folder/jupyter/, not the user's; it is stopped on leaving."""
    # No news or update toasts over the notebook.
    settings = folder / "jupyter" / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / "jupyter" / "config"),
           "JUPYTER_DATA_DIR": str(folder / "jupyter" / "data"),  # the packages' own stay found
           "JUPYTER_RUNTIME_DIR": str(folder / "jupyter" / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings.parents[1]),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / "jupyter" / "workspaces")}
    env.pop("MPLBACKEND", None)
    port, token = free_port(), secrets.token_hex(16)
    with (folder / "jupyter.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
             "--ServerApp.allow_root=True",  # CI runs as root
             "--LabApp.extension_manager=readonly",  # no look-ups of PyPI's extensions
             "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: run cells by command
            cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, ended as a whole in stop()
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_server(server, f"{url}/api/status?token={token}", folder / "jupyter.log")
            yield url, token
        finally:
            stop(server)


@pytest.fixture(scope="module")
def lab():
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    write_notebook(OUT / "pad.ipynb", SETUP)
    with jupyter_lab(OUT) as server:
        yield server


def wait_for_server(server, status_url, log, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}: see {log}")
        try:
            with urllib.request.urlopen(status_url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer in {seconds} s: see {log}")


def stop(server):
    """SIGTERM: the server shuts its kernel down (jupyter_client starts kernels in a session of
    their own; ipykernel also exits with its parent); then SIGKILL for what is left."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def chromium():
    """Headless Chromium from the system, driven through the system's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1400,1000", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))


@pytest.fixture(scope="module")
def driver():
    browser = chromium()
    try:
        yield browser
    finally:
        browser.quit()


def open_pad(driver, url, token, notebook, seconds, screenshot):
    """Open the notebook in JupyterLab, run all its cells, and return the pad's element once
    the widget shows; fail with the notebook's error, or a screenshot and the console."""
    driver.get(f"{url}/lab/tree/{notebook}?token={token}")
    WebDriverWait(driver, 120).until(lambda d: d.execute_script(
        "return Boolean(window.jupyterapp && document.querySelector('.jp-NotebookPanel'))"))
    driver.set_script_timeout(120)
    # Run > Run All Cells once the kernel has started (the command's promise would wait for
    # the training: the pad's appearance is awaited below instead).
    started = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const app = window.jupyterapp;
        const wait = () => {
          const panel = app.shell.currentWidget;
          if (!panel || !panel.sessionContext) return setTimeout(wait, 200);
          panel.sessionContext.ready.then(() => {
            app.commands.execute("notebook:run-all-cells");
            done("ok");
          }, (err) => done(String(err)));
        };
        wait();""")
    assert started == "ok", f"JupyterLab could not start the notebook's kernel: {started}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = driver.find_elements(By.CSS_SELECTOR, '[data-testid="pad"]')
        if found:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", found[0])
            return found[0]
        errors = [e.text for e in driver.find_elements(
            By.CSS_SELECTOR, ".jp-OutputArea-output") if "Traceback" in e.text or "Error" in e.text]
        if errors:
            pytest.fail(f"the notebook failed in JupyterLab: {errors[0][-2000:]}")
        time.sleep(1)
    driver.save_screenshot(str(screenshot))
    console = "\n".join(entry["message"] for entry in driver.get_log("browser"))[-3000:]
    pytest.fail(f"no pad after {seconds} s (screenshot {screenshot}); browser console:\n{console}")


@pytest.fixture(scope="module")
def pad(lab, driver):
    """The pad's element, once the notebook has trained F in JupyterLab and shows the widget."""
    url, token = lab
    return open_pad(driver, url, token, "pad.ipynb", TRAINING, OUT / "timeout.png")


def attribute(pad, testid, name):
    return pad.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]').get_attribute(name)


def settled(driver, pad, seq, seconds=60):
    """Wait until Python has answered the drawing numbered `seq`; the pad's state."""
    try:
        WebDriverWait(driver, seconds).until(lambda _: int(pad.get_attribute("data-seq")) >= seq
                                             and pad.get_attribute("data-state") != "busy")
    except TimeoutException:
        pytest.fail(f"the pad did not answer drawing {seq} in {seconds} s (state "
                    f"{pad.get_attribute('data-state')}, seq {pad.get_attribute('data-seq')})")
    return pad.get_attribute("data-state")


def draw(driver, pad, strokes, kind=interaction.POINTER_MOUSE):
    """Each stroke as real pointer events: press, many small moves, release."""
    canvas = pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-canvas"]')
    seq = int(pad.get_attribute("data-seq"))
    half_w, half_h = canvas.rect["width"] / 2, canvas.rect["height"] / 2
    for stroke in strokes:
        actions = ActionBuilder(driver, mouse=PointerInput(kind, kind), duration=10)
        pointer = actions.pointer_action
        # Offsets are from the canvas's centre (W3C actions with an element origin).
        pointer.move_to(canvas, round(stroke[0][0] - half_w), round(stroke[0][1] - half_h))
        pointer.pointer_down()
        for x, y in stroke[1:]:
            pointer.move_to(canvas, round(x - half_w), round(y - half_h))
        pointer.pointer_up()
        actions.perform()
    return settled(driver, pad, seq + len(strokes))


def clear(driver, pad):
    seq = int(pad.get_attribute("data-seq"))
    pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-clear"]').click()
    return settled(driver, pad, seq + 1)


def labels(pad):
    return [e.text for e in pad.find_elements(By.CSS_SELECTOR, ".mnist-pad-label")]


def ink_pixels(driver, pad):
    """Pixels of the canvas darker than mid-grey, counted in the page."""
    canvas = pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-canvas"]')
    return driver.execute_script("""
        const c = arguments[0], data = c.getContext("2d").getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 0; i < data.data.length; i += 4) n += data.data[i] < 128;
        return n;""", canvas)


def test_model_f_reads_a_drawn_1_0_and_7_and_limpar_empties_the_pad(driver, pad):
    assert pad.get_attribute("data-state") == "hint"
    assert attribute(pad, "pad-message", "textContent") == "Desenhe um dígito"
    read = {}
    for digit, kind in (("1", interaction.POINTER_MOUSE), ("0", interaction.POINTER_MOUSE),
                        ("7", interaction.POINTER_PEN)):
        assert draw(driver, pad, DIGITS[digit], kind) == "ok"
        read[digit] = attribute(pad, "pad-top-F", "data-digit"), labels(pad)
        pad.screenshot(str(OUT / f"pad_{digit}.png"))
        assert clear(driver, pad) == "hint"
        assert ink_pixels(driver, pad) == 0
        assert attribute(pad, "pad-top-F", "data-digit") == ""
        assert attribute(pad, "pad-message", "textContent") == "Desenhe um dígito"
    print("read by F:", read)
    assert {digit: top for digit, (top, _) in read.items()} == {"1": "1", "0": "0", "7": "7"}, read


def test_sem_preparacao_shows_the_unprepared_image_and_its_reading(driver, pad):
    assert draw(driver, pad, SMALL_ONE) == "ok"
    prepared = attribute(pad, "pad-input", "src"), labels(pad)
    pad.screenshot(str(OUT / "pad_small_prepared.png"))
    seq = int(pad.get_attribute("data-seq"))
    pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-raw"]').click()
    WebDriverWait(driver, 60).until(lambda _: pad.get_attribute("data-raw") == "true")
    assert settled(driver, pad, seq) == "ok"
    raw = attribute(pad, "pad-input", "src"), labels(pad)
    pad.screenshot(str(OUT / "pad_small_raw.png"))
    print("small 1 in a corner, prepared:", prepared[1], "raw:", raw[1])
    assert raw[0] != prepared[0] and raw[1] != prepared[1]
    assert ink_pixels(driver, pad) > 0  # the switch re-reads the drawing, it does not clear it


def test_ataque_shows_the_smallest_attack_that_changes_fs_answer(driver, pad):
    if pad.get_attribute("data-raw") == "true":  # the previous test leaves the raw switch on
        seq = int(pad.get_attribute("data-seq"))
        pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-raw"]').click()
        WebDriverWait(driver, 60).until(lambda _: pad.get_attribute("data-raw") == "false")
        settled(driver, pad, seq)
    assert clear(driver, pad) == "hint"
    assert draw(driver, pad, DIGITS["7"]) == "ok"
    before = attribute(pad, "pad-top-F", "data-digit")
    seq = int(pad.get_attribute("data-seq"))
    pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-attack"]').click()
    WebDriverWait(driver, 60).until(lambda _: pad.get_attribute("data-attack") == "true")
    assert settled(driver, pad, seq) == "ok"
    block = pad.find_element(By.CSS_SELECTOR, '[data-testid="pad-attack-F"]')
    pad.screenshot(str(OUT / "pad_attack.png"))
    print("F's answer and the attack on it:", before, block.text)
    assert 0 < float(block.get_attribute("data-eps")) <= 0.5
    assert block.get_attribute("data-after") != before
    assert f"muda {before} → {block.get_attribute('data-after')}" in block.text
    assert attribute(pad, "pad-attack-image-F", "src").startswith("data:image/png;base64,")
    assert ink_pixels(driver, pad) > 0  # the switch re-reads the drawing, it does not clear it
