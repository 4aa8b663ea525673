"""6. The completion certificate (PDF) of a 300-item handover: time and peak
memory, in a process of its own."""

import json
import os
import subprocess
import sys

from django.conf import settings

from cms.models import Handover

from .harness import Result, Stats, record, repeat


def test_certificate_of_300_items(scale):
    handover = Handover.objects.get(
        template__slug=scale.template_slugs["blocks-300"],
        state=Handover.State.COMPLETED,
    )
    runs = repeat(3) + 1  # the first run warms up (fonts, templates)
    output = subprocess.run(  # noqa: S603 - our interpreter, our module
        [
            sys.executable,
            "-m",
            "tests.benchmarks.certificate_worker",
            str(handover.pk),
            str(runs),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ},
    ).stdout
    cost = json.loads(output.strip().splitlines()[-1])
    subject = Stats.of(cost["seconds"][1:])
    peak_mb = cost["rss_peak_kb"] / 1024
    result = record(
        Result(
            number="6",
            name=f"Certificate PDF, {cost['items']} items",
            subject=subject,
            queries=cost["queries"],
            target="≤ 5 s, ≤ 300 MB",
            extra={
                "peak_rss_mb": round(peak_mb),
                "rss_before_rendering_mb": round(cost["rss_before_kb"] / 1024),
                "python_heap_peak_mb": round(cost["python_peak_kb"] / 1024, 1),
                "pdf_kb": round(cost["pdf_bytes"] / 1024),
                "first_run_s": round(cost["seconds"][0], 2),
            },
        )
    )
    result.met = subject.median_ms <= 5000 and peak_mb <= 300
