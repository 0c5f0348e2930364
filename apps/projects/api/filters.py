import django_filters

from apps.projects.choices import ProjectState, Visibility
from apps.projects.models import GitHubAccount, Project


class ProjectFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ProjectState.choices)
    visibility = django_filters.MultipleChoiceFilter(choices=Visibility.choices)
    archived = django_filters.BooleanFilter(field_name="archived_on_github", help_text="Archived on GitHub.")
    topic = django_filters.CharFilter(method="filter_topic", help_text="Projects carrying this GitHub topic.")
    account = django_filters.ModelChoiceFilter(queryset=GitHubAccount.objects.all())
    fork = django_filters.BooleanFilter()

    class Meta:
        model = Project
        fields = ["state", "visibility", "archived", "topic", "account", "fork"]

    def filter_topic(self, queryset, name, value):
        return queryset.filter(topics_index__contains=f",{value.strip().lower()},")
