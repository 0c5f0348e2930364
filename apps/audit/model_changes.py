"""Changes to the records that decide who and what the platform reaches: accounts, keys,
channels, users, groups, schedules and operators' server settings.

pre_save reads the stored row, post_save records which fields changed with their old and new
values, post_delete records the deletion. A secret is never a value in the trail: every
encrypted field, every field named like a secret and the user's password hash are reported as
"changed" only. Bookkeeping that syncs, checks and beat write all the time (last sync, leases,
run counts) is ignored, so the trail holds what people changed. API tokens are recorded as
token.create / token.revoke, never with their digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.scrub import is_secret_name
from apps.audit.services import audit_record
from apps.core.fields import EncryptedTextField

log = structlog.get_logger(__name__)

SYNC_BOOKKEEPING = ("last_sync_at", "last_sync_status", "last_sync_error", "last_successful_sync_at", "not_before")


@dataclass(frozen=True)
class Audited:
    model: str  # "app_label.ModelName"
    ignore: tuple[str, ...] = ()  # written by the platform itself, not by people
    only: tuple[str, ...] = ()  # when set, only changes of these fields are audited


AUDITED_MODELS = (
    Audited("servers.ProviderAccount", ignore=SYNC_BOOKKEEPING),
    Audited("projects.GitHubAccount", ignore=SYNC_BOOKKEEPING),
    Audited("servers.SshKey"),
    Audited(
        "monitoring.NotificationChannel",
        ignore=("last_success_at", "last_failure_at", "last_error", "consecutive_failures"),
    ),
    # Syncs, checks and provisioning write servers all the time: only the operator-managed
    # settings (servers' server_update and the monitoring admin's health settings) are audited.
    Audited(
        "servers.Server",
        only=(
            "connection",
            "ssh_host",
            "ssh_port",
            "ssh_user",
            "notes",
            "labels",
            "ssh_key",
            "expects_docker",
            "disk_mounts",
            "maintenance_until",
        ),
    ),
    Audited(settings.AUTH_USER_MODEL, ignore=("last_login",)),
    Audited("auth.Group"),
    # Beat saves last_run_at and total_run_count after every run.
    Audited("django_celery_beat.PeriodicTask", ignore=("last_run_at", "total_run_count", "date_changed")),
)


def _is_secret_field(field) -> bool:
    return isinstance(field, EncryptedTextField) or is_secret_name(field.name)


def _watched_fields(model: type[Model], spec: Audited) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and not field.primary_key
        and not getattr(field, "auto_now", False)
        and field.name not in spec.ignore
        and (not spec.only or field.name in spec.only)
    ]


def _fields_to_compare(model: type[Model], spec: Audited, update_fields) -> list:
    fields = _watched_fields(model, spec)
    if update_fields is not None:
        fields = [field for field in fields if field.name in update_fields or field.attname in update_fields]
    return fields


def _snapshot(sender: type[Model], instance: Model, spec: Audited, update_fields) -> dict[str, Any] | None:
    fields = _fields_to_compare(sender, spec, update_fields)
    if not fields:
        return {}
    try:
        return sender._base_manager.filter(pk=instance.pk).values(*(field.attname for field in fields)).first()
    except Exception:  # an undecryptable stored secret must not stop the save: the change is still recorded
        log.warning("audit_snapshot_failed", model=sender._meta.label_lower, pk=instance.pk, exc_info=True)
        return None


def _changes(instance: Model, spec: Audited, stored: dict[str, Any], update_fields) -> tuple[list[str], dict]:
    changed, values = [], {}
    for field in _fields_to_compare(type(instance), spec, update_fields):
        if field.attname not in stored:
            continue
        old, new = stored[field.attname], getattr(instance, field.attname)
        if old == new:
            continue
        changed.append(field.name)
        if not _is_secret_field(field):
            values[field.name] = {"old": old, "new": new}
    return changed, values


def _on_pre_save(sender, instance: Model, raw: bool = False, update_fields=None, **_: Any) -> None:
    spec = _SPECS.get(sender)
    if spec is None or raw or instance._state.adding or instance.pk is None:
        return
    instance._audit_snapshot = _snapshot(sender, instance, spec, update_fields)


def _on_post_save(sender, instance: Model, created: bool, raw: bool = False, update_fields=None, **_: Any) -> None:
    spec = _SPECS.get(sender)
    if spec is None or raw:
        return
    if created:
        if spec.only:  # servers come from the provider's listing, not from people
            return
        fields = _watched_fields(sender, spec)
        audit_record(
            action=AuditAction.RECORD_CREATE,
            target=instance,
            detail={"fields": [field.name for field in fields if getattr(instance, field.attname) not in (None, "")]},
        )
        return
    stored = instance.__dict__.pop("_audit_snapshot", None)
    if stored is None:
        if spec.only:
            return
        audit_record(action=AuditAction.RECORD_UPDATE, target=instance, detail={"changed": "unknown"})
        return
    changed, values = _changes(instance, spec, stored, update_fields)
    if changed:
        audit_record(action=AuditAction.RECORD_UPDATE, target=instance, detail={"changed": changed, "values": values})


def _on_post_delete(sender, instance: Model, **_: Any) -> None:
    if sender in _SPECS:
        audit_record(action=AuditAction.RECORD_DELETE, target=instance)


def _on_groups_changed(sender, instance: Model, action: str, reverse: bool, model, pk_set, **_: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    how = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    names = sorted(str(item) for item in model._base_manager.filter(pk__in=pk_set or ()))
    field = "users" if reverse else "groups"
    audit_record(action=AuditAction.RECORD_UPDATE, target=instance, detail={"changed": [field], how: names})


def _token_detail(token: Model) -> dict[str, Any]:
    # The name, owner and expiry: never the digest, nor the token_key (the token's first characters).
    return {"name": token.name, "user": str(token.user), "expiry": token.expiry}


def _on_token_saved(sender, instance: Model, created: bool, raw: bool = False, **_: Any) -> None:
    if created and not raw:
        audit_record(
            action=AuditAction.TOKEN_CREATE,
            target_type=sender._meta.label_lower,
            target_id=instance.pk,
            target_repr=instance.name,
            detail=_token_detail(instance),
        )


def _on_token_deleted(sender, instance: Model, **_: Any) -> None:
    expired = instance.expiry is not None and instance.expiry <= timezone.now()
    audit_record(
        action=AuditAction.TOKEN_REVOKE,
        target_type=sender._meta.label_lower,
        target_id=instance.pk,
        target_repr=instance.name,
        detail={**_token_detail(instance), "expired": expired},
    )


_SPECS: dict[type[Model], Audited] = {}


def connect() -> None:
    """Connect the handlers for every audited model (AuditConfig.ready)."""
    for spec in AUDITED_MODELS:
        model = apps.get_model(spec.model)
        _SPECS[model] = spec
        uid = f"audit:{model._meta.label_lower}"
        pre_save.connect(_on_pre_save, sender=model, dispatch_uid=f"{uid}:pre_save")
        post_save.connect(_on_post_save, sender=model, dispatch_uid=f"{uid}:post_save")
        if not spec.only:  # servers leave with their account (recorded), never one by one by hand
            post_delete.connect(_on_post_delete, sender=model, dispatch_uid=f"{uid}:post_delete")
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    m2m_changed.connect(_on_groups_changed, sender=user_model.groups.through, dispatch_uid="audit:user_groups")
    token_model = apps.get_model(settings.KNOX_TOKEN_MODEL)
    post_save.connect(_on_token_saved, sender=token_model, dispatch_uid="audit:token_saved")
    post_delete.connect(_on_token_deleted, sender=token_model, dispatch_uid="audit:token_deleted")
