"""The jobs admin's pages beyond Django's own: launch a template, cancel or relaunch a job, run a
job on one server (the server admin's part).

Each is a form (or a button) in front of one service call: the services decide everything, and
their refusals come back on the form (field errors, a 409 above it) or as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from apps.core.exceptions import ConflictError, PlatformError
from apps.jobs.admin_forms import LaunchForm, RunJobForm, service_errors_add
from apps.jobs.choices import RelaunchHosts
from apps.jobs.models import Job, JobTemplate
from apps.jobs.services import job_cancel, job_launch, job_relaunch
from apps.jobs.services.targets import target_servers
from apps.servers.models import Server

JOB_CHANGE_URL = "admin:jobs_job_change"
FORM_PAGE = "admin/jobs/form_page.html"


def job_url(job_id: int) -> str:
    return reverse(JOB_CHANGE_URL, args=[job_id])


def _refusal_add(form, error: PlatformError) -> None:
    """A launch's refusal on the form; a 409 for a running job links to that job."""
    active = isinstance(error, ConflictError) and error.extra.get("active_job_id")
    if active:
        form.add_error(None, format_html('{} <a href="{}">Open job #{}</a>', str(error), job_url(active), active))
    else:
        service_errors_add(form, error)


def _launched(request: HttpRequest, job: Job) -> HttpResponseRedirect:
    hosts = job.hosts.count()
    messages.success(request, f"Launched job #{job.pk} ({job.name}) on {hosts} host(s).")
    return HttpResponseRedirect(job_url(job.pk))


def _object_or_404(model_admin, request: HttpRequest, object_id: str):
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(f"No {model_admin.model._meta.verbose_name} with id {object_id!r}.")
    return obj


def _form_page(model_admin, request: HttpRequest, original, **context) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": original,
        **context,
    }
    return TemplateResponse(request, FORM_PAGE, context)


class TemplateLaunchViews:
    """Mixed into the template admin: the launch page."""

    def launch_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        template: JobTemplate = _object_or_404(self, request, object_id)
        if not self.has_launch_permission(request, template):
            raise PermissionDenied
        target_problem = ""
        try:
            servers = target_servers(template.target)
        except PlatformError as error:
            servers, target_problem = [], f"The target names no server now: {error}"
        form = LaunchForm(request.POST if request.method == "POST" else None, servers=servers)
        if request.method == "POST" and form.is_valid():
            try:
                job = job_launch(
                    template=template,
                    extra_vars=form.cleaned_data["extra_vars"],
                    limit=form.cleaned_data["limit"] or None,
                    user=request.user,
                )
            except PlatformError as error:
                _refusal_add(form, error)
            else:
                return _launched(request, job)
        return _form_page(
            self,
            request,
            template,
            title=f"Launch {template.name}",
            form=form,
            intro=f"Runs {template.playbook} on the servers the template's target names now "
            f"({len(servers)}), or on those ticked below.",
            problem=target_problem,
            submit_label="Launch",
        )


class JobOperationViews:
    """Mixed into the job admin: cancel (after a confirmation page) and relaunch."""

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job: Job = _object_or_404(self, request, object_id)
        if not self.has_launch_permission(request, job):
            raise PermissionDenied
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": job,
                "job": job,
                "title": f"Cancel job #{job.pk}?",
                "confirm_label": f"Yes, cancel job #{job.pk}",
                "running_hosts": job.hosts.filter(status="pending").count(),
            }
            return TemplateResponse(request, "admin/jobs/job/confirm_cancel.html", context)
        try:
            job_cancel(job=job, user=request.user)
        except PlatformError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Job #{job.pk} canceled.")
        return HttpResponseRedirect(job_url(job.pk))

    def relaunch_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job: Job = _object_or_404(self, request, object_id)
        if not self.has_launch_permission(request, job):
            raise PermissionDenied
        hosts = request.POST.get("hosts", RelaunchHosts.ALL)
        try:
            relaunched = job_relaunch(job=job, hosts=hosts, user=request.user)
        except PlatformError as error:
            messages.error(request, f"Job #{job.pk} was not relaunched: {error}")
            return HttpResponseRedirect(job_url(job.pk))
        which = "its failed hosts" if hosts == RelaunchHosts.FAILED else "all its hosts"
        messages.success(request, f"Relaunched job #{job.pk} on {which}: job #{relaunched.pk}.")
        return HttpResponseRedirect(job_url(relaunched.pk))


class ServerJobsViews:
    """Mixed into the server admin: run a job of a template on this server only."""

    def run_job_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        server: Server = _object_or_404(self, request, object_id)
        if not self.has_launch_job_permission(request, server):
            raise PermissionDenied
        form = RunJobForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                job = job_launch(
                    template=form.cleaned_data["template"],
                    extra_vars=form.cleaned_data["extra_vars"],
                    servers=[server],
                    user=request.user,
                )
            except PlatformError as error:
                _refusal_add(form, error)
            else:
                return _launched(request, job)
        return _form_page(
            self,
            request,
            server,
            title=f"Run a job on {server}",
            form=form,
            intro="Launches the template's playbook on this server only, instead of the template's target.",
            problem="" if form.fields["template"].queryset.exists() else "No job template exists yet.",
            submit_label="Launch",
        )
