from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import smart_split
from unfold.admin import ModelAdmin

from apps.access.admin_checks import permission_check
from apps.core.admin import OperationalHistoryAdmin
from apps.core.admin_runs import runs_queue_from_admin
from apps.core.admin_secrets import SecretFieldsHiddenFromReadersMixin
from apps.integrations.providers import ProviderError
from apps.integrations.providers.registry import DEFAULT_KIND, adapter_class, credential_help
from apps.integrations.ssh import InvalidKeyError, parse_private_key
from apps.servers import services
from apps.servers.admin_reveal import RootPasswordRevealViews
from apps.servers.choices import ProviderKind
from apps.servers.models import ProviderAccount, Server, SshKey
from apps.servers.selectors import server_label_q
from apps.servers.services.accounts import CREDENTIAL_FIELDS, account_problems
from apps.servers.services.write import PROVIDER_FIELDS
from apps.servers.validators import MAX_LABELS, label_term_parse, labels_from_text, labels_text


class ProviderAccountForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=ProviderKind.choices, initial=DEFAULT_KIND)
    base_url = forms.URLField(
        max_length=500, assume_scheme="https", required=False, help_text="Blank: the provider's public API."
    )

    class Meta:
        model = ProviderAccount
        fields = ["name", "kind", "base_url", "username", "password", "api_token", "enabled"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Stored secrets are never shown, so editing an account must not demand them again: a
        # blank entry keeps them (EncryptedTextField.save_form_data).
        for name in ("password", "api_token"):
            if name in self.fields:
                self.fields[name].required = False
        for name in CREDENTIAL_FIELDS:
            if name in self.fields:
                self.fields[name].help_text = credential_help(name)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("kind"):
            return cleaned
        stored = self.instance.credentials if self.instance.pk else {}
        credentials = {name: cleaned.get(name) or stored.get(name, "") for name in CREDENTIAL_FIELDS}
        problems = account_problems(
            kind=cleaned["kind"], base_url=cleaned.get("base_url") or "", credentials=credentials
        )
        for field, messages_ in problems.items():
            for problem in messages_:
                self.add_error(field if field in self.fields else None, problem)
        if not problems and not cleaned.get("base_url"):
            cleaned["base_url"] = adapter_class(cleaned["kind"]).default_base_url() or ""
        return cleaned


@admin.register(ProviderAccount)
class ProviderAccountAdmin(SecretFieldsHiddenFromReadersMixin, ModelAdmin):
    form = ProviderAccountForm
    list_display = ("name", "kind", "username", "enabled", "last_sync_at", "last_sync_status", "server_count")
    list_filter = ("kind", "enabled", "last_sync_status")
    search_fields = ("name", "username")
    readonly_fields = ("last_sync_at", "last_sync_status", "last_sync_error", "last_successful_sync_at")
    actions = ["test_connection", "sync_now"]
    has_sync_permission = permission_check("servers.sync_provideraccount")

    @admin.display(description="servers")
    def server_count(self, obj: ProviderAccount) -> int:
        return obj.servers.count()

    @admin.action(description="Test connection", permissions=["sync"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        for account in queryset:
            try:
                count = services.provider_account_test_connection(account=account)
            except ProviderError as error:
                self.message_user(request, f"{account}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{account}: connected, {count} server(s) listed.", messages.SUCCESS)

    @admin.action(description="Sync now", permissions=["sync"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        runs_queue_from_admin(self, request, queryset, queue=services.server_sync_queue, what="sync")


class LabelsFormField(forms.Field):
    """Labels as `key=value` lines in a text box: readable and editable, unlike raw JSON."""

    widget = forms.Textarea(attrs={"rows": 5, "cols": 60, "placeholder": "role=web\nenv=prod"})

    def prepare_value(self, value):
        return labels_text(value) if isinstance(value, dict) else value

    def to_python(self, value) -> dict[str, str]:
        return labels_from_text(value or "")


class MountPointsFormField(forms.Field):
    """Mount points one per line, as operators write them, instead of a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60, "placeholder": "/var/lib/docker\n/srv"})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        mounts = list(dict.fromkeys(line.strip() for line in (value or "").splitlines() if line.strip()))
        wrong = [mount for mount in mounts if not mount.startswith("/")]
        if wrong:
            raise forms.ValidationError(f"A mount point is an absolute path: {', '.join(wrong)}")
        return mounts


class ServerForm(forms.ModelForm):
    labels = LabelsFormField(
        required=False,
        help_text=(
            f"One key=value per line, at most {MAX_LABELS}. Keys: lower-case letters, digits and . _ / -, "
            "up to 63 characters; values: letters, digits and . _ -, up to 63 characters (may be empty). "
            "Job selectors and the label filters match these and the provider's labels."
        ),
    )

    disk_mounts = MountPointsFormField(
        required=False, label="Disk mounts", help_text='Mount points checked besides "/", one per line.'
    )

    class Meta:
        model = Server
        fields = ["labels", "disk_mounts"]  # the admin adds the other fields of its fieldsets


class ServerAdmin(OperationalHistoryAdmin, RootPasswordRevealViews, SecretFieldsHiddenFromReadersMixin, ModelAdmin):
    """The servers app's part of the Server admin. Registered by config/admin.py, composed with
    the parts other apps contribute (AdminAdditions)."""

    form = ServerForm
    list_display = (
        "__str__",
        "ip",
        "provider_account",
        "provider_status",
        "lifecycle",
        "health_status",
        "busy",
        "os",
        "labels_column",
        "updated_at",
    )
    list_filter = ("provider_account", "provider_status", "lifecycle", "health_status", "busy", "connection")
    search_fields = ("hostname", "label", "ip", "provider_id")
    search_help_text = "Hostname, label, IP or provider id; a key=value term finds the servers with that label."
    list_select_related = ("provider_account",)
    actions = ["sync_now"]
    # Sync owns these (PROVIDER_FIELDS); operators change only the access settings, labels and notes.
    provider_fields = ("provider_account", "provider_id", *PROVIDER_FIELDS)
    platform_fields = ("lifecycle", "health_status", "root_password_state", "last_seen_at", "created_at", "updated_at")
    readonly_fields = (*provider_fields, "connection", "provider_labels_text", *platform_fields)
    fieldsets = (
        ("Provider", {"fields": tuple(name for name in provider_fields if name != "provider_labels")}),
        ("Access (operator-managed)", {"fields": ("connection", "ssh_host", "ssh_port", "ssh_user", "notes")}),
        ("Labels", {"fields": ("labels", "provider_labels_text")}),
        ("Platform", {"fields": platform_fields}),
    )

    has_sync_permission = permission_check("servers.sync_provideraccount")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # servers come from the provider

    @admin.display(description="labels")
    def labels_column(self, obj: Server) -> str:
        return ", ".join(labels_text(obj.labels).splitlines())

    @admin.display(description="provider labels")
    def provider_labels_text(self, obj: Server) -> str:
        return labels_text(obj.provider_labels) or "-"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Server], search_term: str):
        """`key=value` terms match labels (the operator's or the provider's, as the API's `label`
        filter); every other word searches the search fields as usual."""
        words = []
        for term in smart_split(search_term):
            try:
                key, value = label_term_parse(term) if "=" in term else (None, None)
            except ValueError:
                key = None
            if key is None:
                words.append(term)
            else:
                queryset = queryset.filter(server_label_q(key, value))
        return super().get_search_results(request, queryset, " ".join(words))

    @admin.action(description="Sync their accounts now", permissions=["sync"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        accounts = ProviderAccount.objects.filter(pk__in=queryset.values("provider_account")).distinct()
        runs_queue_from_admin(self, request, accounts, queue=services.server_sync_queue, what="sync")


class SshKeyForm(forms.ModelForm):
    private_key = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Paste an OpenSSH or PEM private key, or leave blank to generate an ed25519 key.",
    )

    class Meta:
        model = SshKey
        fields = ["name", "private_key", "is_default"]

    def clean_private_key(self) -> str:
        text = self.cleaned_data.get("private_key") or ""
        if text:
            try:
                parse_private_key(text)
            except InvalidKeyError as error:
                raise forms.ValidationError(str(error)) from None
        return text


@admin.register(SshKey)
class SshKeyAdmin(SecretFieldsHiddenFromReadersMixin, ModelAdmin):
    form = SshKeyForm
    list_display = ("name", "key_type", "fingerprint", "is_default", "created_at")
    actions = ["make_default"]

    def get_readonly_fields(self, request, obj=None):
        # A key is created once; only which key is the default changes afterwards.
        return ("public_key", "fingerprint", "key_type", "created_at") + (("name",) if obj else ())

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "private_key", "is_default"]
        return ["name", "key_type", "fingerprint", "public_key", "is_default", "created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            if obj.is_default:
                services.ssh_key_make_default(key=obj)
            else:
                obj.save(update_fields=["is_default"])
            return
        # The form checked the key text; the service derives the public key and fingerprint.
        created = services.ssh_key_create(
            name=form.cleaned_data["name"],
            private_key=form.cleaned_data.get("private_key") or None,
            is_default=form.cleaned_data["is_default"],
        )
        obj.pk = created.pk

    @admin.action(description="Make default", permissions=["change"])
    def make_default(self, request: HttpRequest, queryset: QuerySet[SshKey]) -> None:
        key = queryset.first()
        if key:
            services.ssh_key_make_default(key=key)
            self.message_user(request, f"{key.name} is now the default key.", messages.SUCCESS)
