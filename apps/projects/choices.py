from django.db import models


class GitHubAuthKind(models.TextChoices):
    TOKEN = "token", "Personal or fine-grained token"
    APP = "app", "GitHub App installation"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    INTERNAL = "internal", "Internal"


class ProjectState(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"  # gone from the organization's listing; kept, never deleted


class SearchRanking(models.TextChoices):
    LEXICAL = "lexical", "Lexical (BM25)"
    SEMANTIC = "semantic", "Semantic (sentence embeddings)"
    HYBRID = "hybrid", "Hybrid (both, fused by reciprocal rank)"
