from django.conf import settings
from rest_framework import serializers

from apps.access.models import ApiToken


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"}, write_only=True)


class LoginOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class TokenOutputSerializer(serializers.ModelSerializer):
    """A token as its owner sees it later: never the value, never the digest."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "token_key", "created", "expiry", "last_used_at"]
        read_only_fields = fields


class TokenCreatedOutputSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="The token's value: shown in this answer only, keep it now.")

    class Meta(TokenOutputSerializer.Meta):
        fields = [*TokenOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)

    def get_fields(self) -> dict:
        fields = super().get_fields()
        # Built per instance: the bound is a setting, and the schema shows it as `maximum`.
        fields["expires_in_days"] = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=settings.API_TOKEN_MAX_TTL_DAYS,
            help_text="Days until the token stops working (default API_TOKEN_DEFAULT_TTL_DAYS).",
        )
        return fields
