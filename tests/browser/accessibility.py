"""Accessibility and small-screen checks for browser tests: axe-core (vendored, see vendor/axe-core)
injected into the page, and no horizontal scrolling."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """axe's violations of the page as it is now, of these impacts: rule, impact, help, and the
    elements (CSS selectors) that break it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"rule": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
        if v["impact"] in impacts
    ]


def scrolls_sideways(page) -> bool:
    """Whether the page is wider than the window (a phone user would have to scroll sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
