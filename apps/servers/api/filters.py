import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from apps.servers.choices import HealthStatus, Lifecycle, ProviderStatus
from apps.servers.models import ProviderAccount, Server
from apps.servers.selectors import server_label_q
from apps.servers.validators import label_term_parse

LABEL_FILTER_HELP = (
    "A label the server has: `key=value`, or `key` for any value. Repeat it for several; all must "
    "match. Operator labels and provider labels both count, an operator label shadowing a provider "
    "label with the same key. A term that is not a label (an empty or malformed key or value) is a 400."
)


class RepeatedParameter(forms.Widget):
    """Every value of a repeated query parameter (`?label=a&label=b`), not only the last."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


class LabelTermsField(forms.Field):
    """`key=value` or `key` terms as [(key, value or None)]; any term that is not one is an error."""

    widget = RepeatedParameter

    def to_python(self, value) -> list[tuple[str, str | None]]:
        if value in (None, [], ()):
            return []
        terms, problems = [], []
        for term in value if isinstance(value, list | tuple) else [value]:
            try:
                terms.append(label_term_parse(term))
            except ValueError as error:
                # django-filter %-formats each message: a % the caller sent must stay a %.
                problems.append(str(error).replace("%", "%%"))
        if problems:
            raise forms.ValidationError(problems)
        return terms


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]*(=[A-Za-z0-9._-]*)?$"},
        "description": LABEL_FILTER_HELP,
    }
)
class LabelFilter(django_filters.Filter):
    field_class = LabelTermsField

    def filter(self, qs, value):
        for key, label_value in value or ():
            qs = qs.filter(server_label_q(key, label_value))
        return qs


class ServerFilter(django_filters.FilterSet):
    lifecycle = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices)
    health_status = django_filters.MultipleChoiceFilter(choices=HealthStatus.choices)
    provider_status = django_filters.MultipleChoiceFilter(choices=ProviderStatus.choices)
    provider_account = django_filters.ModelChoiceFilter(queryset=ProviderAccount.objects.all())
    busy = django_filters.BooleanFilter()
    label = LabelFilter(help_text=LABEL_FILTER_HELP)

    class Meta:
        model = Server
        fields = ["lifecycle", "health_status", "provider_status", "provider_account", "busy", "label"]
