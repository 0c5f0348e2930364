"""Create and partial update through a domain's services, written once for every viewset that
takes one input serializer and answers with another (the accounts of each kind)."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


class ServiceWritesMixin:
    """`create` and `partial_update` that validate with `input_serializer_class`, write with the
    viewset's `create_record` / `update_record` (a service call) and answer with
    `serializer_class`. The schema of each stays declared on the viewset (extend_schema_view)."""

    input_serializer_class: type

    def create_record(self, data: dict[str, Any]):
        raise NotImplementedError

    def update_record(self, instance, data: dict[str, Any]):
        raise NotImplementedError

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self.input_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        record = self.create_record(data.validated_data)
        return Response(self.get_serializer_class()(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        instance = self.get_object()
        data = self.input_serializer_class(instance, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = self.update_record(instance, data.validated_data)
        return Response(self.get_serializer_class()(record).data)
