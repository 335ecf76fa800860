"""A Babel extractor for flow files: every text a person sees becomes a msgid.

Named in `babel.cfg`, so `pybabel extract` collects flow wording with the
interface's; translators see the file's line and the step it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator

from flows.yaml_source import LINE_KEY, parse_yaml


def extract_flow(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    data = parse_yaml(fileobj.read().decode("utf-8"))
    if not isinstance(data, dict):
        return
    for key in ("title", "thank_you"):
        if isinstance(data.get(key), str):
            yield data[LINE_KEY], None, data[key], [f"flow {data.get('id')}: {key}"]
    for step in data.get("steps") or []:
        if not isinstance(step, dict):
            continue
        line, step_id = step[LINE_KEY], step.get("id")
        if isinstance(step.get("text"), str):
            yield line, None, step["text"].strip(), [f"step {step_id}"]
        for option in step.get("options") or []:
            words = option.get("words") if isinstance(option, dict) else option
            if isinstance(words, str):
                yield line, None, words, [f"step {step_id}: an answer"]
