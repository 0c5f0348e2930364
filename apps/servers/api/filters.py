import django_filters

from apps.servers.choices import HealthStatus, Lifecycle, ProviderStatus
from apps.servers.models import ProviderAccount, Server


class ServerFilter(django_filters.FilterSet):
    lifecycle = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices)
    health_status = django_filters.MultipleChoiceFilter(choices=HealthStatus.choices)
    provider_status = django_filters.MultipleChoiceFilter(choices=ProviderStatus.choices)
    provider_account = django_filters.ModelChoiceFilter(queryset=ProviderAccount.objects.all())
    busy = django_filters.BooleanFilter()

    class Meta:
        model = Server
        fields = ["lifecycle", "health_status", "provider_status", "provider_account", "busy"]
