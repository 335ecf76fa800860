"""What a person sees on a kiosk screen in the browser: whether everything
they need is inside the window, and the contrast of the colours drawn.

Used by the tablet tests; the browser fixtures are in tests/kiosk/browser.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page


def outside_the_window(page: Page) -> list[str]:
    """Every visible control on the screen that is not wholly inside the window:
    buttons, button-styled links, boxes to type in and checkboxes."""
    controls = "button, a.button, textarea, input:not([type=hidden])"
    return page.evaluate(
        """(controls) => Array.from(
            document.getElementById("main").querySelectorAll(controls))
          .filter((element) => element.checkVisibility())
          .filter((element) => {
            const box = element.getBoundingClientRect();
            return box.top < 0 || box.left < 0
              || box.bottom > window.innerHeight || box.right > window.innerWidth;
          })
          .map((element) => {
            const box = element.getBoundingClientRect();
            const words = element.textContent.trim().replace(/\\s+/g, " ")
              || element.name || element.tagName;
            return `'${words}' from ${Math.round(box.top)} to ${Math.round(box.bottom)}`
              + ` px down, ${Math.round(box.left)} to ${Math.round(box.right)} across`;
          })""",
        controls,
    )


# Colour contrast, as WCAG 2.2 measures it ----------------------------------------

# Each element from `selector` up to <html>: its colours and opacity, so that
# what is drawn can be worked out as the eye sees it (a faded button's text is
# paler than its colour says).
LAYERS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((element) => element.checkVisibility())
  .map((element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      layers.push({background: style.backgroundColor, opacity: style.opacity});
    }
    const style = getComputedStyle(element);
    return {
      words: element.textContent.trim().replace(/\\s+/g, " ") || element.name,
      text: style.color,
      border: style.borderTopColor,
      borderStyle: style.borderTopStyle,
      borderWidth: parseFloat(style.borderTopWidth) || 0,
      layers: layers.reverse(),
    };
  })"""


def css_colour(text: str) -> tuple[float, float, float, float]:
    """'rgb(11, 12, 12)' or 'rgba(0, 0, 0, 0)' as red, green, blue (0-255), alpha."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", text)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def _over(top: tuple, alpha: float, under: tuple) -> tuple:
    return tuple(alpha * t + (1 - alpha) * u for t, u in zip(top, under, strict=True))


def _seen(colour: tuple, alpha: float, under: tuple, opacity: float) -> tuple:
    """A colour drawn over `under`, in an element faded to `opacity` over white."""
    return _over(_over(colour, alpha, under), opacity, (255.0, 255.0, 255.0))


def contrast_ratio(first: tuple, second: tuple) -> float:
    """WCAG's contrast ratio of two opaque colours (red, green, blue, 0-255)."""

    def luminance(colour: tuple) -> float:
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (channel / 255 for channel in colour[:3])
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def drawn_colours(page: Page, selector: str) -> list[dict]:
    """For each visible element matching `selector`: its words, and its text,
    border and background colours as drawn, after every layer's opacity; and
    the background around it (its parent's). The page behind is white."""
    white = (255.0, 255.0, 255.0)
    drawn = []
    for element in page.evaluate(LAYERS, selector):
        painted, faded = [white], [1.0]
        for layer in element["layers"]:
            *colour, alpha = css_colour(layer["background"])
            painted.append(_over(tuple(colour), alpha, painted[-1]))
            faded.append(faded[-1] * float(layer["opacity"]))
        background, around = painted[-1], painted[-2]
        opacity = faded[-1]
        *text, text_alpha = css_colour(element["text"])
        *border, border_alpha = css_colour(element["border"])

        drawn.append(
            {
                "words": element["words"],
                "text": _seen(tuple(text), text_alpha, background, opacity),
                "border": _seen(tuple(border), border_alpha, around, opacity),
                "borderStyle": element["borderStyle"],
                "borderWidth": element["borderWidth"],
                "background": _over(background, opacity, white),
                "around": _over(around, faded[-2], white),
            }
        )
    return drawn
