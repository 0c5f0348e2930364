"""The topics the sandbox GitHub's repositories are about: one theme per repository, in turn.

Each theme gives a repository its name, description, topics and the prose of its README and
docs, so that searching across projects finds different answers in different repositories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    slug: str  # the repository's base name
    title: str
    summary: str
    topics: tuple[str, ...]
    components: tuple[tuple[str, str], ...]  # (name, what it does)
    design: str
    operations: str
    failure: str
    settings: tuple[tuple[str, str], ...]  # (environment variable, meaning)
    guide_title: str
    guide: str


THEMES: tuple[Theme, ...] = (
    Theme(
        slug="deploy-pipeline",
        title="Deploy pipeline",
        summary="Builds release artifacts and rolls them out to the fleet with blue-green deployments.",
        topics=("deployment", "ansible", "ci-cd"),
        components=(
            ("builder", "turns a tagged commit into a versioned tarball and a container image"),
            ("rollout", "switches traffic from the blue to the green pool once health checks pass"),
            ("rollback", "restores the previous release in under a minute by flipping the symlink back"),
        ),
        design="A release is immutable: every host receives the same artifact, verified by its SHA-256 "
        "checksum before it is unpacked. Rollouts proceed in waves of ten percent of the hosts, and a wave "
        "only starts when the previous one reports healthy for five consecutive checks.",
        operations="To deploy, tag the commit and run the pipeline; the canary wave goes first. A failed "
        "health check stops the rollout and pages the on-call engineer. Database migrations run before the "
        "traffic switch and must be backwards compatible with the release still serving requests.",
        failure="If a rollout stalls with hosts in mixed versions, run the rollback job: it re-points the "
        "current symlink on every host and reloads the application servers without dropping connections.",
        settings=(
            ("DEPLOY_WAVE_PERCENT", "share of hosts updated per wave"),
            ("DEPLOY_HEALTH_CHECKS", "consecutive healthy checks required before the next wave"),
            ("DEPLOY_ARTIFACT_BUCKET", "where release tarballs are stored"),
        ),
        guide_title="Zero-downtime releases",
        guide="Keep migrations additive: add the column in one release, backfill it, and drop the old one "
        "only in the next release. Feature flags hide unfinished work so that main is always deployable.",
    ),
    Theme(
        slug="metrics-collector",
        title="Metrics collector",
        summary="Scrapes Prometheus exporters across the fleet and evaluates alerting rules against SLOs.",
        topics=("monitoring", "prometheus", "alerting"),
        components=(
            ("scraper", "pulls /metrics endpoints every fifteen seconds with a per-target timeout"),
            ("rule engine", "evaluates recording and alerting rules written in PromQL"),
            ("notifier", "routes firing alerts to the on-call rotation, grouped by service"),
        ),
        design="Targets are discovered from the inventory, so a new server is monitored as soon as it is "
        "registered. Alerts are based on symptoms that users notice, such as error ratio and p99 latency "
        "over the error budget, rather than on causes like CPU usage.",
        operations="Dashboards show the four golden signals per service: latency, traffic, errors and "
        "saturation. Silence an alert during planned maintenance instead of deleting its rule, and always "
        "link the runbook in the alert's annotations.",
        failure="When the scraper falls behind, samples arrive late and rate() windows look like drops to "
        "zero. Check scrape duration and raise the scrape interval for slow exporters before adding replicas.",
        settings=(
            ("METRICS_SCRAPE_INTERVAL", "seconds between two scrapes of a target"),
            ("METRICS_RETENTION_DAYS", "how long raw samples are kept"),
            ("METRICS_ALERT_RECEIVER", "where firing alerts are sent"),
        ),
        guide_title="Writing good alerts",
        guide="An alert must be actionable: if nobody needs to act, make it a dashboard panel. Use a 'for' "
        "duration to ride out blips, and burn-rate alerts over two windows to catch both fast and slow leaks.",
    ),
    Theme(
        slug="billing-engine",
        title="Billing engine",
        summary="Computes usage-based invoices with proration, VAT and multi-currency support.",
        topics=("billing", "invoicing", "payments"),
        components=(
            ("meter", "aggregates usage events into hourly records per customer and product"),
            ("rater", "prices usage with tiered plans, discounts and prorated plan changes"),
            ("invoicer", "issues invoices on the billing day and sends them as PDF and e-invoice"),
        ),
        design="Money is stored as integer minor units with an ISO 4217 currency code; no floating point "
        "ever touches an amount. Invoices are immutable once issued: corrections are credit notes that "
        "reference the original invoice number.",
        operations="The billing run starts at 02:00 UTC on the first of the month. It is idempotent: running "
        "it twice for the same period issues no duplicate invoices, because each invoice is keyed by "
        "customer and period. VAT rates come from the tax table and depend on the customer's country.",
        failure="If usage events arrive after the period closed, they are billed in the next period with a "
        "line that names the original dates. Never edit an issued invoice in the database.",
        settings=(
            ("BILLING_DAY", "day of the month invoices are issued"),
            ("BILLING_DEFAULT_CURRENCY", "currency of customers that did not choose one"),
            ("BILLING_GRACE_DAYS", "days before an unpaid invoice suspends the account"),
        ),
        guide_title="Proration explained",
        guide="When a customer upgrades mid-cycle, the unused part of the old plan is credited and the new "
        "plan is charged for the remaining days, both computed to the second and rounded once at the end.",
    ),
    Theme(
        slug="auth-gateway",
        title="Auth gateway",
        summary="Single sign-on for internal tools: OpenID Connect, short-lived JWTs and enforced MFA.",
        topics=("authentication", "oauth2", "security"),
        components=(
            ("login", "delegates to the identity provider with the authorization code flow and PKCE"),
            ("token service", "issues access tokens valid for ten minutes and rotating refresh tokens"),
            ("policy", "checks group membership and requires a second factor for admin scopes"),
        ),
        design="Access tokens are JWTs signed with rotating keys published at the JWKS endpoint; services "
        "validate them locally and never call the gateway per request. Refresh tokens are opaque, stored "
        "hashed, and a reused refresh token revokes the whole token family.",
        operations="Rotate the signing key monthly: publish the new key first, switch signing a day later, "
        "and remove the old key once every token signed with it has expired. Session cookies are Secure, "
        "HttpOnly and SameSite=Lax.",
        failure="If users are logged out in a loop, compare the clocks of the gateway and the services: a "
        "skew beyond the allowed leeway makes fresh tokens look expired or not yet valid.",
        settings=(
            ("AUTH_ISSUER_URL", "the OpenID Connect issuer"),
            ("AUTH_ACCESS_TOKEN_MINUTES", "lifetime of access tokens"),
            ("AUTH_REQUIRE_MFA_GROUPS", "groups that must use a second factor"),
        ),
        guide_title="Adding a service behind SSO",
        guide="Register the service as a client with its redirect URI, request only the scopes it needs, "
        "and validate the audience claim so a token for one service cannot be replayed against another.",
    ),
    Theme(
        slug="cache-layer",
        title="Cache layer",
        summary="A Redis-backed read-through cache with explicit invalidation and stampede protection.",
        topics=("caching", "redis", "performance"),
        components=(
            ("client", "reads through the cache and falls back to the database on a miss"),
            ("invalidator", "deletes keys when the owning record changes, driven by change events"),
            ("warmer", "precomputes the hottest keys after a deploy or a cache flush"),
        ),
        design="Keys are namespaced by record type and version, so a schema change can invalidate a whole "
        "namespace by bumping its version. Each value has a TTL with random jitter so that keys written "
        "together do not expire together.",
        operations="Watch the hit ratio and the eviction count. The instance runs with maxmemory and the "
        "allkeys-lru policy; it is a cache, so losing it costs latency, never data.",
        failure="A cache stampede happens when a hot key expires and hundreds of requests recompute it at "
        "once. The client takes a short lock per key and serves the stale value while one worker refreshes.",
        settings=(
            ("CACHE_URL", "the Redis instance used as cache"),
            ("CACHE_DEFAULT_TTL", "seconds a value lives unless its type says otherwise"),
            ("CACHE_JITTER_PERCENT", "random share added to every TTL"),
        ),
        guide_title="Choosing a TTL",
        guide="Derive the TTL from how stale the data may be, not from how expensive it is to compute. "
        "Prefer explicit invalidation for data users edit and short TTLs for data that others change.",
    ),
    Theme(
        slug="search-indexer",
        title="Search indexer",
        summary="Keeps a full-text search index in sync with the catalogue, with language-aware analyzers.",
        topics=("search", "full-text", "indexing"),
        components=(
            ("feeder", "reads change events and turns records into index documents"),
            ("analyzers", "tokenize, lowercase, stem and fold accents per language"),
            ("reindexer", "builds a new index behind an alias and swaps it atomically"),
        ),
        design="Documents are denormalized: everything a result page shows is in the document, so a search "
        "needs no database query. Relevance combines BM25 text scores with freshness and popularity boosts.",
        operations="A full reindex runs into a fresh index while the old one keeps serving; the alias is "
        "swapped when the document counts match. Synonyms live in a file versioned with the code.",
        failure="If results are missing, compare the index's document count with the source table and "
        "check the feeder's lag: a poisoned event blocks the partition until it is skipped or fixed.",
        settings=(
            ("SEARCH_URL", "the search cluster"),
            ("SEARCH_INDEX_ALIAS", "the alias queries use"),
            ("SEARCH_BULK_SIZE", "documents per bulk request while reindexing"),
        ),
        guide_title="Tuning relevance",
        guide="Collect real queries with zero results first. Add synonyms for them, then adjust field "
        "boosts; judge every change against a fixed set of queries with expected top results.",
    ),
    Theme(
        slug="message-bus",
        title="Message bus",
        summary="Asynchronous messaging between services with at-least-once delivery and dead-letter queues.",
        topics=("messaging", "rabbitmq", "events"),
        components=(
            ("publisher", "confirms every message with the broker before the transaction is reported done"),
            ("consumers", "acknowledge late, after the work is committed"),
            ("dead letters", "collect messages that failed five times, for inspection and replay"),
        ),
        design="Delivery is at least once, so every consumer is idempotent: each message carries an id and "
        "consumers record the ids they processed. Events are published through an outbox table written in "
        "the same transaction as the change they describe.",
        operations="Monitor queue depth and the age of the oldest message rather than throughput. Replaying "
        "dead letters is safe because consumers are idempotent; replay in small batches.",
        failure="If a queue grows without bound, a consumer is failing or too slow. Check its error rate "
        "before scaling it out: more consumers of a poisoned message only fail faster.",
        settings=(
            ("BUS_BROKER_URL", "the message broker"),
            ("BUS_PREFETCH", "messages a consumer holds unacknowledged"),
            ("BUS_MAX_DELIVERIES", "attempts before a message goes to the dead-letter queue"),
        ),
        guide_title="Designing events",
        guide="Name events in the past tense after what happened, include the entity id and version, and "
        "never remove a field consumers may read: add a new event type instead.",
    ),
    Theme(
        slug="backup-vault",
        title="Backup vault",
        summary="Encrypted, deduplicated backups of databases and volumes, with tested restores.",
        topics=("backups", "storage", "disaster-recovery"),
        components=(
            ("snapshotter", "takes consistent database dumps and volume snapshots every night"),
            ("uploader", "encrypts chunks client-side and deduplicates them before upload"),
            ("restorer", "rebuilds a database from a chosen snapshot into a scratch instance"),
        ),
        design="Retention keeps seven daily, four weekly and twelve monthly snapshots. The encryption key "
        "never leaves the backup hosts; the object store only sees ciphertext, and the bucket is "
        "write-once so that a compromised host cannot delete history.",
        operations="A backup that was never restored is a hope, not a backup: a weekly job restores the "
        "latest snapshot and runs integrity checks against it, and the result is reported on the dashboard.",
        failure="If the nightly job overruns, the next one waits instead of running concurrently. Check "
        "the upload bandwidth and the size of the day's changes before moving the schedule.",
        settings=(
            ("BACKUP_REPOSITORY", "the object store bucket"),
            ("BACKUP_RETENTION", "daily, weekly and monthly snapshots kept"),
            ("BACKUP_RESTORE_CHECK_DAY", "weekday of the automatic restore test"),
        ),
        guide_title="Restoring a single table",
        guide="Restore the snapshot into a scratch instance, export the table there, and import it into "
        "production inside a transaction after comparing row counts.",
    ),
    Theme(
        slug="edge-router",
        title="Edge router",
        summary="Terminates TLS, routes requests to services and balances load across healthy backends.",
        topics=("networking", "nginx", "tls"),
        components=(
            ("listeners", "accept HTTPS on 443 with HTTP/2 and redirect plain HTTP"),
            ("certificates", "are issued and renewed automatically through ACME"),
            ("upstreams", "balance by least connections and eject backends that fail health checks"),
        ),
        design="Routing rules are generated from the service registry, so adding a service never needs a "
        "hand-edited configuration file. Requests get an X-Request-ID at the edge that every service logs.",
        operations="Reload, never restart: a reload keeps established connections. Certificates renew thirty "
        "days before expiry and an alert fires at fourteen days if renewal failed.",
        failure="Intermittent 502 errors usually mean a backend closed a keep-alive connection the router "
        "reused; make the backend's idle timeout longer than the router's.",
        settings=(
            ("EDGE_ACME_EMAIL", "contact address for certificate issuance"),
            ("EDGE_CLIENT_MAX_BODY", "largest request body accepted"),
            ("EDGE_UPSTREAM_TIMEOUT", "seconds to wait for a backend's answer"),
        ),
        guide_title="Rate limiting at the edge",
        guide="Limit by client address with a token bucket and a small burst; answer 429 with Retry-After, "
        "and exempt health checks and internal networks.",
    ),
    Theme(
        slug="log-shipper",
        title="Log shipper",
        summary="Collects structured JSON logs from every host and ships them to central storage.",
        topics=("logging", "observability", "json"),
        components=(
            ("agent", "tails journald and container logs and adds host and service labels"),
            ("pipeline", "parses, redacts secrets and personal data, and batches records"),
            ("storage", "indexes labels only and compresses log lines by stream"),
        ),
        design="Applications log one JSON object per line with a timestamp, level, event name and request "
        "id. Labels are low-cardinality; values such as user ids go in the line, never in labels.",
        operations="Logs are kept for thirty days, audit logs for a year. Query by service and level first, "
        "then filter the lines, and follow one request across services by its request id.",
        failure="If logs go missing, check the agent's buffer on the host: when storage is unreachable the "
        "agent spools to disk up to its limit and then drops the oldest records.",
        settings=(
            ("LOG_LEVEL", "minimum level shipped"),
            ("LOG_RETENTION_DAYS", "how long ordinary logs are kept"),
            ("LOG_REDACT_FIELDS", "field names whose values are masked"),
        ),
        guide_title="What to log",
        guide="Log decisions and outcomes with the identifiers needed to investigate them, at the boundary "
        "where they happen. Never log passwords, tokens or full card numbers.",
    ),
    Theme(
        slug="job-scheduler",
        title="Job scheduler",
        summary="Runs periodic and delayed jobs on a worker pool with retries and distributed locks.",
        topics=("scheduling", "cron", "workers"),
        components=(
            ("beat", "enqueues periodic jobs from crontab-style schedules, once per tick"),
            ("workers", "run jobs with soft and hard time limits"),
            ("locks", "make sure one instance of a singleton job runs at a time"),
        ),
        design="Schedules are stored in the database and there is exactly one beat process, otherwise every "
        "job would run twice. Jobs are idempotent and take identifiers, not objects, as arguments.",
        operations="Retries use exponential backoff with jitter and a maximum; a job that keeps failing is "
        "reported instead of retried forever. Long jobs report progress so a stuck one can be told apart.",
        failure="If a job runs twice, check the broker's visibility timeout: a job that runs longer than it "
        "is delivered again to another worker while the first is still working.",
        settings=(
            ("SCHEDULER_TIMEZONE", "time zone of crontab schedules"),
            ("SCHEDULER_SOFT_TIME_LIMIT", "seconds before a job is asked to stop"),
            ("SCHEDULER_MAX_RETRIES", "attempts before a job is reported as failed"),
        ),
        guide_title="Writing an idempotent job",
        guide="Read the current state, decide, and write with a condition on what you read, so a second run "
        "finds nothing to do.",
    ),
    Theme(
        slug="notification-hub",
        title="Notification hub",
        summary="Sends email, SMS and push notifications from templates, tracking delivery and bounces.",
        topics=("notifications", "email", "sms"),
        components=(
            ("templates", "are rendered per locale with the recipient's preferences applied"),
            ("dispatcher", "chooses the channel and provider and respects quiet hours"),
            ("feedback", "processes bounces and complaints and suppresses bad addresses"),
        ),
        design="Every notification is stored before it is sent, with a deduplication key, so a retried "
        "request never emails a customer twice. Providers are behind one interface and can fail over.",
        operations="Keep the sending domain's SPF, DKIM and DMARC records aligned; watch the bounce and "
        "complaint rates, because providers suspend senders above a few tenths of a percent.",
        failure="If emails are delayed, look at the provider's throttling responses: the dispatcher backs "
        "off per provider and the queue drains once the provider accepts again.",
        settings=(
            ("NOTIFY_EMAIL_PROVIDER", "the email sending service"),
            ("NOTIFY_QUIET_HOURS", "local hours during which non-urgent messages wait"),
            ("NOTIFY_FROM_ADDRESS", "sender of outgoing email"),
        ),
        guide_title="Adding a template",
        guide="Write the plain-text version first, keep subjects under sixty characters, and preview the "
        "template with real data in every supported locale before enabling it.",
    ),
    Theme(
        slug="feature-flags",
        title="Feature flags",
        summary="Turns features on per customer, percentage or environment without a deploy.",
        topics=("feature-flags", "experimentation", "configuration"),
        components=(
            ("store", "keeps flag definitions with their targeting rules and audit history"),
            ("sdk", "evaluates flags locally from a cached ruleset refreshed every thirty seconds"),
            ("console", "lets product owners change rollouts with a required reason"),
        ),
        design="Evaluation is deterministic: a user's bucket is a hash of the flag key and user id, so a "
        "percentage rollout keeps the same users as it grows. If the store is unreachable the SDK keeps "
        "serving the last ruleset and, failing that, each flag's safe default.",
        operations="Every flag has an owner and an expiry date; a weekly report lists flags fully rolled "
        "out for a month, which should be removed from the code.",
        failure="If a flag seems ignored, check which ruleset version the service evaluated and whether the "
        "user attributes the rule needs were passed to the SDK.",
        settings=(
            ("FLAGS_SDK_KEY", "the environment's SDK key"),
            ("FLAGS_REFRESH_SECONDS", "how often the ruleset is refreshed"),
            ("FLAGS_OFFLINE", "evaluate defaults only, for tests"),
        ),
        guide_title="Cleaning up flags",
        guide="Remove the flag check from the code first, deploy, then archive the flag, so no running "
        "version evaluates a flag that no longer exists.",
    ),
    Theme(
        slug="data-warehouse",
        title="Data warehouse",
        summary="Loads operational data nightly into a columnar warehouse for reporting and analytics.",
        topics=("etl", "analytics", "sql"),
        components=(
            ("extractors", "copy changed rows using updated_at watermarks"),
            ("transforms", "build star-schema models in SQL with tests on keys and nulls"),
            ("scheduler", "orders the models by their dependencies and reruns only what changed"),
        ),
        design="Raw data lands unchanged; every transformation is a versioned SQL model, so any report can "
        "be rebuilt from raw data. Dimensions keep history with slowly changing dimension type 2.",
        operations="Data tests run after each load and block the publication of a model that fails them. "
        "Dashboards show the time of the last successful load next to every figure.",
        failure="If figures double, look for a join on a non-unique key; the uniqueness test on dimension "
        "keys should have failed, so check why it did not run.",
        settings=(
            ("WAREHOUSE_URL", "the warehouse connection"),
            ("WAREHOUSE_LOAD_HOUR", "UTC hour of the nightly load"),
            ("WAREHOUSE_THREADS", "models built in parallel"),
        ),
        guide_title="Adding a model",
        guide="Start from the question the report answers, declare the grain of the table, and add tests for "
        "the primary key and for every foreign key before the model is published.",
    ),
)
