"""Reading a /metrics page the way Prometheus does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float | None:
    """The one sample named `name` with exactly these labels, or None."""
    for sample_name, sample_labels, sample_value in samples(text):
        if sample_name == name and sample_labels == labels:
            return sample_value
    return None


def total(text: str, name: str, **labels: str) -> float:
    """Sum of the samples named `name` whose labels include `labels`."""
    return sum(
        sample_value
        for sample_name, sample_labels, sample_value in samples(text)
        if sample_name == name and labels.items() <= sample_labels.items()
    )
