import django_filters

from apps.core.choices import SyncStatus, Trigger
from apps.core.models import SyncRun
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


class SyncRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SyncStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    provider_account = django_filters.NumberFilter(field_name="account_id")

    class Meta:
        model = SyncRun
        fields = ["status", "trigger", "provider_account"]
