#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the undo window in the console: log in -> find a
project -> "Restore as it was at…" -> type the moment -> restore it as a new library -> wait for
the job page to report it done; then the same moment -> "Download for Resolve as it was then"
-> wait on Downloads for the file -> download it into DOWNLOADS. A screenshot of each step goes
into SHOTS.

Environment: CONSOLE_URL, CONSOLE_PASSWORD (never an argument), SHOTS, DOWNLOADS, PROJECT (search
text), MOMENT (the time typed), NEW_LIBRARY. Prints one line per step; exits 1 with the reason
on the first failure.
"""
import os
import sys
import time

from browser import start_driver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

url = os.environ["CONSOLE_URL"].rstrip("/")
password = os.environ["CONSOLE_PASSWORD"]
shots = os.environ["SHOTS"]
downloads = os.environ["DOWNLOADS"]
project = os.environ["PROJECT"]
moment = os.environ["MOMENT"]
new_library = os.environ["NEW_LIBRARY"]

driver = start_driver(downloads)


def shot(name):
    path = os.path.join(shots, name + ".png")
    driver.save_screenshot(path)
    print(f"screenshot {path}")


def fail(reason):
    shot("failure")
    print(f"FAILED: {reason} (at {driver.current_url})", file=sys.stderr)
    sys.exit(1)


def after(action, what):
    """Runs `action` (a click or a submit) and waits until the next page has loaded."""
    old = driver.find_element(By.TAG_NAME, "html")
    action()
    try:
        WebDriverWait(driver, 60).until(expected_conditions.staleness_of(old))
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    except TimeoutException:
        fail(f"the page after {what} did not load within 60 s")


def wait_for(element_id, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = driver.find_elements(By.ID, element_id)
        if found:
            return found[0]
        time.sleep(0.5)  # the pages reload themselves every 2 s (meta refresh, no script)
    fail(f"{what} never appeared")


def moment_form():
    driver.get(url + "/search")
    box = driver.find_element(By.NAME, "project")
    box.send_keys(project)
    after(box.submit, "the search")
    links = driver.find_elements(By.PARTIAL_LINK_TEXT, "Restore as it was at")
    if not links:
        fail(f"no 'Restore as it was at…' for the project {project!r}")
    after(links[0].click, "the link to the moment form")
    if not driver.find_elements(By.ID, "window"):
        fail("the form does not show the undo window")
    field = driver.find_element(By.NAME, "at")
    field.clear()
    field.send_keys(moment)
    return field


try:
    driver.get(url + "/login")
    driver.find_element(By.NAME, "password").send_keys(password)
    after(driver.find_element(By.TAG_NAME, "form").submit, "the login")
    print("step: logged in")

    moment_form()
    name = driver.find_element(By.NAME, "as")
    name.clear()
    name.send_keys(new_library)
    shot("restore-at-form")
    after(name.submit, "the moment form")
    if not driver.current_url.endswith("/jobs"):
        fail("starting the restore did not lead to the job page")
    print("step: restore as it was at the moment started")
    text = wait_for("outcome", 180, "the restore's outcome").text
    shot("restore-at-job")
    if not text.startswith("Restored in"):
        fail(f"the restore ended with: {text}")
    print(f"step: {text}")

    moment_form()
    button = driver.find_element(By.XPATH, "//button[@formaction='/exports']")
    after(button.click, "Download for Resolve")
    if not driver.current_url.endswith("/exports"):
        fail("Download for Resolve did not lead to the Downloads page")
    deadline = time.time() + 180
    while time.time() < deadline:
        if driver.find_elements(By.ID, "export-failed"):
            fail("the export failed: " + driver.find_element(By.ID, "export-failed").text)
        links = driver.find_elements(By.PARTIAL_LINK_TEXT, ".backup")
        if links:
            break
        time.sleep(0.5)
    else:
        fail("the export never became a download")
    shot("downloads")
    name = links[0].text
    links[0].click()
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(os.path.join(downloads, name)):
        time.sleep(0.2)
    if not os.path.exists(os.path.join(downloads, name)):
        fail(f"{name} was not downloaded")
    print(f"step: downloaded {name}")
    print("ok")
finally:
    driver.quit()
