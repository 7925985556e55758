// What the Sales KPIs card asks HubSpot for and how it reads the answer: no React
// here, so that the tests (and crm-kpi's end-to-end test, through node) run it alone.
import registry from "./kpis.json" with { type: "json" };

export const RECORD_PROPERTIES = ["kpi_key", "kpi_name", "period", "period_type", "scope_name"];
export const UPDATED_PROPERTY = "hs_lastmodifieddate";

/** The period `date` falls in, named as crm-kpi names it: 2026-11, 2026-Q3 or 2026
 * (fiscal quarters and years are named after the calendar year they start in). */
export function periodOf(date, periodType, fiscalYearStartMonth = 1) {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  if (periodType === "month") return `${year}-${String(month).padStart(2, "0")}`;
  const fiscalYear = month >= fiscalYearStartMonth ? year : year - 1;
  if (periodType === "year") return String(fiscalYear);
  const quarter = Math.floor(((month - fiscalYearStartMonth + 12) % 12) / 3) + 1;
  return `${fiscalYear}-Q${quarter}`;
}

/** The first day of the period that starts `back` periods before the one of `date`. */
export function shiftedStart(date, periodType, fiscalYearStartMonth = 1, back = 0) {
  const months = { month: 1, quarter: 3, year: 12 }[periodType];
  const month = date.getUTCMonth();
  const offset = periodType === "month" ? 0 : (month - (fiscalYearStartMonth - 1) + 12) % months;
  return new Date(Date.UTC(date.getUTCFullYear(), month - offset - back * months, 1));
}

/** (the period in progress, the one before), by name. */
export function periodsAround(date, periodType, fiscalYearStartMonth = 1) {
  const previous = shiftedStart(date, periodType, fiscalYearStartMonth, 1);
  return [periodOf(date, periodType, fiscalYearStartMonth),
    periodOf(previous, periodType, fiscalYearStartMonth)];
}

/** The share of the period in progress that has elapsed on `date` (0..1). */
export function elapsedShare(date, periodType, fiscalYearStartMonth = 1) {
  const start = shiftedStart(date, periodType, fiscalYearStartMonth, 0);
  const end = shiftedStart(date, periodType, fiscalYearStartMonth, -1);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  return Math.min(1, Math.max(0, (day - start) / (end - start)));
}

/** `kpi_key` of an owner's record: period type|period|owner|owner id. */
export function ownerKey(periodType, period, ownerId) {
  return `${periodType}|${period}|owner|${ownerId}`;
}

/** Every property the card reads from a KPI record. */
export function kpiProperties(asOfProperty) {
  const parts = registry.kpis.flatMap((kpi) => Object.values(kpi.properties));
  return [...RECORD_PROPERTIES, ...parts, UPDATED_PROPERTY, asOfProperty].filter(
    (name, index, all) => name && all.indexOf(name) === index,
  );
}

/** The `useCrmSearch` request for an owner's records of this and the previous period:
 * an exact match on the unique key, so one search of two records, whatever the portal's
 * size. */
export function kpiSearchRequest({ portalId, config, ownerId, date }) {
  const [current, previous] = periodsAround(date, config.periodType, config.fiscalYearStartMonth);
  const keys = [current, previous].map((p) => ownerKey(config.periodType, p, ownerId));
  return {
    objectType: `p${portalId}_${config.kpiObject}`,
    properties: kpiProperties(config.asOfProperty),
    filterGroups: [{ filters: [{ propertyName: "kpi_key", operator: "IN", values: keys }] }],
    pageLength: 2,
  };
}

const number = (text) => (text === null || text === undefined || text === "" ? null : Number(text));

/** The card's rows: per KPI its figures this period and the one before, and the trend. */
export function kpiRows(records, { current, previous, share }) {
  const byPeriod = Object.fromEntries(records.map((r) => [r.properties.period, r.properties]));
  const now = byPeriod[current] || {};
  const before = byPeriod[previous] || {};
  return registry.kpis.map((kpi) => {
    const read = (props) => Object.fromEntries(
      Object.entries(kpi.properties).map(([part, name]) => [part, number(props[name])]),
    );
    const figures = { current: read(now), previous: read(before) };
    return { kpi, ...figures, trend: trendOf(kpi, figures, share) };
  });
}

/** "up" or "down" (better or worse by the KPI's direction), or null. A KPI that builds
 * up over its period (revenue) is compared like for like: with the previous period's
 * value pro-rated to the share of the period in progress that has elapsed. */
export function trendOf(kpi, { current, previous }, share) {
  if (current.value === null || previous.value === null) return null;
  const base = "pace" in kpi.properties ? previous.value * share : previous.value;
  if (current.value === base) return { direction: "flat", better: null };
  const up = current.value > base;
  return { direction: up ? "up" : "down", better: up === kpi.higherIsBetter };
}

/** A figure as people read it, in the viewer's locale and the reporting currency. */
export function formatFigure(value, unit, decimals, { locale, currency }) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const digits = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  if (unit === "money") {
    return new Intl.NumberFormat(locale, { style: "currency", currency, ...digits }).format(value);
  }
  if (unit === "ratio") {  // percentage properties hold 45 for 45 %
    return new Intl.NumberFormat(locale, { style: "percent", ...digits }).format(value / 100);
  }
  const text = new Intl.NumberFormat(locale, digits).format(value);
  return { days: `${text} d`, multiple: `${text}:1` }[unit] || text;
}

/** When the figures were computed (or, before crm-kpi wrote that, last updated). */
export function asOf(records, asOfProperty, locale) {
  const stamps = records.map((r) => r.properties[asOfProperty] || r.properties[UPDATED_PROPERTY]);
  const latest = stamps.filter(Boolean).map((s) => new Date(/^\d+$/.test(s) ? Number(s) : s))
    .filter((d) => !Number.isNaN(d.getTime())).sort((a, b) => b - a)[0];
  if (!latest) return null;
  const computed = records.some((r) => r.properties[asOfProperty]);
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short",
    timeZone: "UTC" }).format(latest);
  return `${computed ? "Computed" : "Updated"} ${when} UTC`;
}

export { registry };
