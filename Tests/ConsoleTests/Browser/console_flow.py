#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the console as an engineer would at 2 a.m.:
log in -> overview -> find a project -> restore that backup as a new library -> wait for the
job page to report it done. Saves a screenshot of each step into SHOTS.

Environment: CONSOLE_URL, CONSOLE_PASSWORD (never an argument), SHOTS, PROJECT (search text),
NEW_LIBRARY. Prints one line per step; exits 1 with the reason on the first failure.
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
project = os.environ["PROJECT"]
new_library = os.environ["NEW_LIBRARY"]

driver = start_driver()


def shot(name):
    path = os.path.join(shots, name + ".png")
    driver.save_screenshot(path)
    print(f"screenshot {path}")


def submit(element, what):
    """Submits the element's form and waits until the next page has loaded: submit() does not
    wait for the navigation, so a check right after it can read the old page (seen on a busy
    machine: the search page before its results)."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.submit()
    try:
        WebDriverWait(driver, 60).until(expected_conditions.staleness_of(old))
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    except TimeoutException:
        fail(f"the page after {what} did not load within 60 s")


def fail(reason):
    shot("failure")
    print(f"FAILED: {reason} (at {driver.current_url})", file=sys.stderr)
    sys.exit(1)


try:
    driver.get(url + "/")
    if not driver.current_url.endswith("/login"):
        fail("an unauthenticated visit was not sent to /login")
    print("step: redirected to the login page")
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver.find_element(By.TAG_NAME, "form"), "the login")
    if "Overview" not in driver.find_element(By.TAG_NAME, "h1").text:
        fail("the login did not lead to the overview")
    if "Demo Library" not in driver.page_source:
        fail("the overview does not list Demo Library")
    print("step: logged in, overview lists the library")
    shot("overview")

    driver.find_element(By.LINK_TEXT, "Find a project").click()
    box = driver.find_element(By.NAME, "project")
    box.send_keys(project)
    submit(box, "the search")
    links = driver.find_elements(By.PARTIAL_LINK_TEXT, "Restore this backup")
    if not links:
        fail(f"no backup found for the project {project!r}")
    print(f"step: search for {project!r} found {len(links)} backups")
    shot("search")
    links[0].click()

    name = driver.find_element(By.NAME, "as")
    name.clear()
    name.send_keys(new_library)
    shot("restore-form")
    submit(name, "the restore form")
    if not driver.current_url.endswith("/jobs"):
        fail("starting the restore did not lead to the job page")
    print("step: restore started")

    deadline = time.time() + 120
    while time.time() < deadline:
        outcome = driver.find_elements(By.ID, "outcome")
        if outcome:
            text = outcome[0].text
            shot("restore-job")
            if not text.startswith("Restored in"):
                fail(f"the restore ended with: {text}")
            print(f"step: {text}")
            break
        time.sleep(0.5)  # the page reloads itself every 2 s (meta refresh, no script)
    else:
        fail("the job page never reported an outcome")
    print("ok")
finally:
    driver.quit()
