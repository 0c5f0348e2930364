"""System checks of the assistant's settings (`manage.py check`; also run by migrate and mcp)."""

from django.core.checks import Error, Tags, register

from apps.assistant.configuration import configuration_problems

HINT = 'See docs/mcp.md, "The assistant", for the LLM_* settings.'


@register(Tags.compatibility)
def check_assistant_settings(app_configs=None, **kwargs):
    return [Error(problem, hint=HINT, id=check_id) for check_id, problem in configuration_problems()]
