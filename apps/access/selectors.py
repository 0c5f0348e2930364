from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from apps.access.models import ApiToken


def token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (expired ones too, so the user sees them lapse)."""
    return ApiToken.objects.filter(user=user).order_by("-created")
