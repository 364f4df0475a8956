/**
 * The demo's example tables, matching policies/: some partitions made by hand (adopted by
 * bounds), some long expired, rows waiting in a DEFAULT partition.
 */
export const DEMO_SETUP: readonly string[] = [
  `CREATE TABLE public.events (id bigserial, occurred_at timestamptz NOT NULL, kind text, payload jsonb) PARTITION BY RANGE (occurred_at)`,
  `CREATE INDEX ON public.events (occurred_at)`,
  // a reporting role reads the table: new partitions get the parent's grants, and the hand-made
  // partitions below, which lack them, are repaired (partition_drift)
  `DO $$ BEGIN CREATE ROLE reporting NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  `GRANT SELECT ON public.events TO reporting`,
  // expired (older than keep: 14 days) and hand-made, with names partwarden would not choose
  `CREATE TABLE public.events_old_a PARTITION OF public.events FOR VALUES FROM (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '20 days') AT TIME ZONE 'UTC') TO (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '19 days') AT TIME ZONE 'UTC')`,
  `CREATE TABLE public.events_old_b PARTITION OF public.events FOR VALUES FROM (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '16 days') AT TIME ZONE 'UTC') TO (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '15 days') AT TIME ZONE 'UTC')`,
  `INSERT INTO public.events (occurred_at, kind, payload) SELECT date_trunc('day', now() AT TIME ZONE 'UTC' - interval '20 days') AT TIME ZONE 'UTC' + g * interval '1 minute', 'view', jsonb_build_object('old', g) FROM generate_series(0, 1000) g`,
  `INSERT INTO public.events (occurred_at, kind, payload) SELECT date_trunc('day', now() AT TIME ZONE 'UTC' - interval '16 days') AT TIME ZONE 'UTC' + g * interval '1 minute', 'view', jsonb_build_object('old', g) FROM generate_series(0, 1000) g`,
  // today's partition, made by hand: adopted by its bounds, not duplicated
  // three recent days made by hand, with rows: the expired partitions are a minority of those
  // holding rows, so the retention guard lets them go (it refuses to remove more than half)
  ...[1, 2, 3].flatMap((d) => [
    `CREATE TABLE public.events_recent_${d} PARTITION OF public.events FOR VALUES FROM (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '${d} days') AT TIME ZONE 'UTC') TO (date_trunc('day', now() AT TIME ZONE 'UTC' - interval '${d - 1} days') AT TIME ZONE 'UTC')`,
    `INSERT INTO public.events (occurred_at, kind, payload) SELECT date_trunc('day', now() AT TIME ZONE 'UTC' - interval '${d} days') AT TIME ZONE 'UTC' + g * interval '1 minute', 'view', jsonb_build_object('recent', g) FROM generate_series(0, 300) g`,
  ]),
  `CREATE TABLE public.events_today_by_hand PARTITION OF public.events FOR VALUES FROM (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') TO (date_trunc('day', now() AT TIME ZONE 'UTC' + interval '1 day') AT TIME ZONE 'UTC')`,
  `INSERT INTO public.events (occurred_at, kind, payload) SELECT now() - (g || ' minutes')::interval, 'click', jsonb_build_object('n', g) FROM generate_series(1, 500) g WHERE now() - (g || ' minutes')::interval >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,

  `CREATE TABLE public.orders (id bigint NOT NULL, customer text, total numeric(12,2), PRIMARY KEY (id)) PARTITION BY RANGE (id)`,
  ...Array.from({ length: 8 }, (_, i) => `CREATE TABLE public.orders_p${i * 100000} PARTITION OF public.orders FOR VALUES FROM (${i * 100000}) TO (${(i + 1) * 100000})`),
  `INSERT INTO public.orders SELECT g * 250, 'customer ' || (g % 97), (g % 1000) / 10.0 FROM generate_series(0, 3000) g`,

  `CREATE SCHEMA "Analytics"`,
  `CREATE TABLE "Analytics"."Page Views" (day date NOT NULL, path text NOT NULL, views int NOT NULL DEFAULT 0) PARTITION BY RANGE (day)`,
  `CREATE TABLE "Analytics"."Page Views default" PARTITION OF "Analytics"."Page Views" DEFAULT`,
  // rows for this month and the next sit in DEFAULT: partwarden moves them when it creates those months
  `INSERT INTO "Analytics"."Page Views" SELECT (date_trunc('month', now() AT TIME ZONE 'Europe/Paris') + (g % 50) * interval '1 day')::date, '/page/' || (g % 20), g FROM generate_series(1, 2000) g`,
  // two months past keep (12 months) and two recent ones, made by hand with rows: the old ones are
  // archived as Parquet and published Hive-style (layout: hive), then dropped
  ...[14, 13, 2, 1].flatMap((m) => [
    `CREATE TABLE "Analytics"."Page Views m-${m}" PARTITION OF "Analytics"."Page Views" FOR VALUES FROM ((date_trunc('month', now() AT TIME ZONE 'Europe/Paris') - interval '${m} months')::date) TO ((date_trunc('month', now() AT TIME ZONE 'Europe/Paris') - interval '${m - 1} months')::date)`,
    `INSERT INTO "Analytics"."Page Views" SELECT (date_trunc('month', now() AT TIME ZONE 'Europe/Paris') - interval '${m} months' + (g % 28) * interval '1 day')::date, '/page/' || (g % 20), g FROM generate_series(1, 1500) g`,
  ]),

  // a plain table that grew for weeks: the demo converts it online (partwarden convert) before the daemon starts
  `CREATE TABLE public.audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, logged_at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL, action text NOT NULL)`,
  `CREATE INDEX audit_log_logged_at_idx ON public.audit_log (logged_at)`,
  `CREATE VIEW public.audit_log_today AS SELECT id, logged_at, actor, action FROM public.audit_log WHERE logged_at >= date_trunc('day', now())`,
  `COMMENT ON TABLE public.audit_log IS 'who did what, and when'`,
  `INSERT INTO public.audit_log (logged_at, actor, action) SELECT now() - g * interval '1 minute', 'user' || (g % 17), 'login' FROM generate_series(1, 20000) g`,
];
